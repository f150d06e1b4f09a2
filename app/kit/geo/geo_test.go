package geo

import "testing"

func TestPolygonCheck(t *testing.T) {
	sq := [][2]float64{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}
	for _, c := range []struct {
		p  Polygon
		ok bool
	}{
		{Polygon{Type: "Polygon", Coordinates: [][][2]float64{sq}}, true},
		{Polygon{Type: "Point", Coordinates: [][][2]float64{sq}}, false},
		{Polygon{Type: "Polygon"}, false},
		{Polygon{Type: "Polygon", Coordinates: [][][2]float64{sq[:4]}}, false},                             // open
		{Polygon{Type: "Polygon", Coordinates: [][][2]float64{{{0, 0}, {1, 0}, {0, 0}}}}, false},           // too short
		{Polygon{Type: "Polygon", Coordinates: [][][2]float64{{{0, 0}, {200, 0}, {1, 1}, {0, 0}}}}, false}, // out of bounds
	} {
		if got := c.p.Check() == ""; got != c.ok {
			t.Errorf("Check(%v) ok = %v; want %v (%s)", c.p, got, c.ok, c.p.Check())
		}
	}
	p, err := ParsePolygon(Polygon{Type: "Polygon", Coordinates: [][][2]float64{sq}}.JSON())
	if err != nil || p.Coordinates[0][2] != sq[2] {
		t.Errorf("round trip: %v %v", p, err)
	}
}
