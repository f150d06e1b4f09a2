package orgapi

import (
	"encoding/json"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"doorstep/app/kit/geo"
)

// OptionalPolygon tells "absent" (keep) from null (clear) from a value (replace) in a PATCH.
type OptionalPolygon struct {
	Set   bool
	Value *geo.Polygon
}

func (o *OptionalPolygon) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Value = nil
		return nil
	}
	var p geo.Polygon
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	o.Value = &p
	return nil
}

// Schema documents the field as a nullable GeoJSON Polygon.
func (o OptionalPolygon) Schema(r huma.Registry) *huma.Schema {
	s := r.Schema(reflectPolygon, true, "Polygon")
	return &huma.Schema{OneOf: []*huma.Schema{s, {Type: "null"}}}
}

// OptionalPoint tells "absent" from null from a value in a PATCH.
type OptionalPoint struct {
	Set   bool
	Value *geo.Point
}

func (o *OptionalPoint) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Value = nil
		return nil
	}
	var p geo.Point
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	o.Value = &p
	return nil
}

// Schema documents the field as a nullable point.
func (o OptionalPoint) Schema(r huma.Registry) *huma.Schema {
	s := r.Schema(reflectPoint, true, "Point")
	return &huma.Schema{OneOf: []*huma.Schema{s, {Type: "null"}}}
}

var (
	reflectPolygon = reflect.TypeOf(geo.Polygon{})
	reflectPoint   = reflect.TypeOf(geo.Point{})
)
