package web

import (
	"math"
	"strings"
	"unicode/utf8"

	"github.com/kyojo-hub/kyojo/internal/policy"
)

// graph is the small relationship graph of an object page, laid out on
// the server and drawn as inline SVG: the object in the centre, the
// objects it references and the objects related to it by a shared value
// on an ellipse around it.
type graph struct {
	W, H   int
	Center gnode
	Nodes  []gnode
	Edges  []gedge
	More   int // neighbours left out for space
}

// gnode is one object in the graph.
type gnode struct {
	X, Y   int
	R      int
	LX, LY int    // where its label goes
	TY     int    // where its type goes, under the label
	Anchor string // the label's text-anchor
	Label  string // shortened
	Title  string // the full label, for the tooltip
	Type   string
	Href   string
	TLP    policy.TLP
}

// gedge is one labelled edge from the centre to a neighbour.
type gedge struct {
	X1, Y1, X2, Y2 int
	LX, LY         int
	Label          string
	Ref            bool // a reference in the JSON (solid, with an arrow), else a shared value (dashed)
}

// Graph dimensions, in SVG user units.
const (
	graphW, graphH = 760, 440
	graphMax       = 14 // neighbours drawn at most
)

// layoutGraph places the object, its references and its related objects.
func layoutGraph(center objRow, refs []refRow, related []objRow) graph {
	g := graph{W: graphW, H: graphH}
	cx, cy := graphW/2, graphH/2
	g.Center = node(center, cx, cy, 14)
	g.Center.LY, g.Center.TY = cy+34, cy+48
	type nb struct {
		row   objRow
		label string
		ref   bool
	}
	var nbs []nb
	seen := map[string]bool{center.O.ID: true}
	for _, r := range refs {
		if !seen[r.Row.O.ID] {
			seen[r.Row.O.ID] = true
			nbs = append(nbs, nb{r.Row, r.Prop, true})
		}
	}
	for _, r := range related {
		if !seen[r.O.ID] {
			seen[r.O.ID] = true
			nbs = append(nbs, nb{r, strings.Join(r.Via, ", "), false})
		}
	}
	if len(nbs) > graphMax {
		g.More = len(nbs) - graphMax
		nbs = nbs[:graphMax]
	}
	rx, ry := float64(graphW)/2-130, float64(graphH)/2-60
	for i, n := range nbs {
		a := -math.Pi/2 + 2*math.Pi*float64(i)/float64(len(nbs))
		if len(nbs) == 2 {
			a = math.Pi * float64(i) // left and right, where the labels fit
		}
		cos, sin := math.Cos(a), math.Sin(a)
		x, y := cx+int(math.Round(rx*cos)), cy+int(math.Round(ry*sin))
		v := node(n.row, x, y, 9)
		switch {
		case cos > 0.3:
			v.Anchor, v.LX, v.LY, v.TY = "start", x+14, y-1, y+13
			v.Label = shorten(n.row.Label, 18)
		case cos < -0.3:
			v.Anchor, v.LX, v.LY, v.TY = "end", x-14, y-1, y+13
			v.Label = shorten(n.row.Label, 18)
		case sin < 0:
			v.LY, v.TY = y-30, y-16
		default:
			v.LY, v.TY = y+26, y+40
		}
		g.Nodes = append(g.Nodes, v)
		// The edge runs from rim to rim; its label sits at its middle.
		dx, dy := float64(x-cx), float64(y-cy)
		l := math.Hypot(dx, dy)
		e := gedge{Label: shorten(n.label, 32), Ref: n.ref,
			X1: cx + int(dx/l*18), Y1: cy + int(dy/l*18), X2: x - int(dx/l*13), Y2: y - int(dy/l*13)}
		e.LX, e.LY = (e.X1+e.X2)/2, (e.Y1+e.Y2)/2-4
		g.Edges = append(g.Edges, e)
	}
	return g
}

func node(r objRow, x, y, radius int) gnode {
	return gnode{X: x, Y: y, R: radius, LX: x, LY: y, Anchor: "middle", Label: shorten(r.Label, 28), Title: r.Label,
		Type: r.O.Type, Href: r.Href(), TLP: r.O.TLP}
}

// shorten cuts s to at most n characters, marking the cut.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
