// Package geo holds GeoJSON points and polygons (WGS 84, longitude first) for the API, with
// the structural checks that need no database; PostGIS decides validity (self-intersection).
package geo

import (
	"encoding/json"
	"fmt"
)

// Point is a location.
type Point struct {
	Lng float64 `json:"lng" minimum:"-180" maximum:"180"`
	Lat float64 `json:"lat" minimum:"-90" maximum:"90"`
}

// Polygon is a GeoJSON Polygon: an outer ring and optional holes, each closed.
type Polygon struct {
	Type        string         `json:"type" enum:"Polygon"`
	Coordinates [][][2]float64 `json:"coordinates"`
}

// Check returns a message describing the first structural problem, or "".
func (p Polygon) Check() string {
	if p.Type != "Polygon" {
		return "type must be Polygon"
	}
	if len(p.Coordinates) == 0 {
		return "a polygon needs an outer ring"
	}
	for i, ring := range p.Coordinates {
		if len(ring) < 4 {
			return fmt.Sprintf("ring %d needs at least 4 positions", i)
		}
		if ring[0] != ring[len(ring)-1] {
			return fmt.Sprintf("ring %d is not closed", i)
		}
		for _, pos := range ring {
			if pos[0] < -180 || pos[0] > 180 || pos[1] < -90 || pos[1] > 90 {
				return fmt.Sprintf("ring %d has a position outside longitude/latitude bounds", i)
			}
		}
	}
	return ""
}

// JSON encodes the polygon as GeoJSON for PostGIS.
func (p Polygon) JSON() string {
	b, _ := json.Marshal(p)
	return string(b)
}

// ParsePolygon decodes GeoJSON produced by ST_AsGeoJSON.
func ParsePolygon(s string) (*Polygon, error) {
	if s == "" {
		return nil, nil
	}
	var p Polygon
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return nil, err
	}
	return &p, nil
}
