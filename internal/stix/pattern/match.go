package pattern

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// Observation is one STIX observed-data as the evaluator sees it.
//
// Objects is the observed-data's SCOs as decoded JSON (map[string]any from
// encoding/json), keyed by the reference other objects use for them: the
// keys of the STIX 2.0-style "objects" dictionary ("0", "1", …), or the SCO
// ids ("ipv4-addr--…") when the SCOs are resolved from object_refs. Every
// object needs its "type". A property ending in _ref or _refs is followed
// through this map.
//
// NumberObserved is how many times the observation was seen (0 counts as
// 1); see Match for how it is used. LastObserved must not be before
// FirstObserved.
type Observation struct {
	FirstObserved  time.Time
	LastObserved   time.Time
	NumberObserved int
	Objects        map[string]map[string]any
}

// Evaluation limits. An evaluation that would need more candidate bindings
// or steps fails with errs.TooLarge rather than run unbounded.
const (
	MaxBindings = 10000
	maxSteps    = 5_000_000
)

// Match reports whether the observations satisfy the pattern.
//
// A bracketed observation expression is satisfied by one observation that
// holds an object on which its comparison expression is true (comparisons
// joined by AND on the same object). The evaluator then searches for a
// binding: a choice of observations for every bracket, where
//   - A AND B needs bindings of A and B that do not use the same
//     observation (more than NumberObserved times);
//   - A OR B needs a binding of either;
//   - A FOLLOWEDBY B needs, in addition, that every observation of A's
//     binding has LastObserved at or before the FirstObserved of every
//     observation of B's;
//   - WITHIN n SECONDS keeps bindings whose observations lie within n
//     seconds, from the earliest FirstObserved to the latest LastObserved;
//   - START s STOP e keeps bindings whose observations all have
//     FirstObserved >= s and LastObserved < e;
//   - REPEATS n TIMES needs n bindings of its expression that together use
//     no observation more than NumberObserved times, so one observed-data
//     with number_observed 3 satisfies `[…] REPEATS 3 TIMES` on its own.
//
// Simplification: REPEATS does not enumerate every combination. It sorts
// the candidate bindings by time and, from each starting point, takes the
// earliest ones that fit; so an enclosing WITHIN, START/STOP or FOLLOWEDBY
// that needs a particular non-consecutive choice may be missed. Matches it
// reports are always real.
//
// Comparisons follow the rules in eval.go's file comment: a path resolves
// through lists ([*] is any element, [n] one), follows _ref and _refs
// properties to other objects of the same observation, and compares values
// of like type only; LIKE and MATCHES (Go regexp, RE2, linear time, so an
// "evil" regular expression such as `(a+)+$` cannot backtrack
// catastrophically) apply to strings; ISSUBSET and ISSUPERSET compare IP
// addresses and CIDR blocks.
//
// Match returns an errs.Invalid error when an observation's times are out of
// order or NumberObserved is negative, and errs.TooLarge when the search
// would exceed MaxBindings candidates or its step budget.
func (p *Pattern) Match(observations []Observation) (bool, error) {
	m := &matcher{obs: observations, caps: make([]int, len(observations)), budget: maxSteps}
	for i, o := range observations {
		if o.LastObserved.Before(o.FirstObserved) {
			return false, errs.F(errs.Invalid, fmt.Sprintf("observations[%d].last_observed", i), "last_observed is before first_observed")
		}
		if o.NumberObserved < 0 {
			return false, errs.F(errs.Invalid, fmt.Sprintf("observations[%d].number_observed", i), "number_observed is negative")
		}
		m.caps[i] = max(o.NumberObserved, 1)
	}
	bs, err := m.eval(p.Root)
	return len(bs) > 0, err
}

type use struct {
	obs int32 // index into the observations
	n   int   // times used
}

// binding is one way to satisfy an expression: the observations it uses
// and the time span they cover.
type binding struct {
	uses        []use // sorted by obs
	first, last time.Time
}

type matcher struct {
	obs    []Observation
	caps   []int
	budget int
}

var errTooComplex = errs.E(errs.TooLarge, "pattern too complex to evaluate against these observations (over %d candidate matches)", MaxBindings)

func (m *matcher) spend(n int) error {
	m.budget -= n
	if m.budget < 0 {
		return errTooComplex
	}
	return nil
}

func (m *matcher) eval(e ObsExpr) ([]binding, error) {
	switch e := e.(type) {
	case *Bracket:
		return m.bracket(e)
	case *ObsBinary:
		acc, err := m.eval(e.Terms[0])
		if err != nil {
			return nil, err
		}
		for _, t := range e.Terms[1:] {
			bs, err := m.eval(t)
			if err != nil {
				return nil, err
			}
			if e.Op == ObsOr {
				acc = append(acc, bs...)
				if len(acc) > MaxBindings {
					return nil, errTooComplex
				}
				continue
			}
			if acc, err = m.join(acc, bs, e.Op == ObsFollowedBy); err != nil {
				return nil, err
			}
		}
		return acc, nil
	case *Qualified:
		bs, err := m.eval(e.Expr)
		if err != nil {
			return nil, err
		}
		switch e.Kind {
		case Within:
			return slices.DeleteFunc(bs, func(b binding) bool {
				return b.last.Sub(b.first).Seconds() > e.Seconds
			}), nil
		case StartStop:
			return slices.DeleteFunc(bs, func(b binding) bool {
				return b.first.Before(e.Start.Time) || !b.last.Before(e.Stop.Time)
			}), nil
		case Repeats:
			return m.repeats(bs, e.Times)
		}
	}
	return nil, nil
}

// bracket returns one binding per observation that has an object on which
// the comparison expression holds.
func (m *matcher) bracket(e *Bracket) ([]binding, error) {
	var out []binding
	for i := range m.obs {
		o := &m.obs[i]
		if err := m.spend(len(o.Objects) + 1); err != nil {
			return nil, err
		}
		for _, obj := range o.Objects {
			typ, _ := obj["type"].(string)
			if evalComp(e.Comp, obj, o, typ) {
				out = append(out, binding{uses: []use{{int32(i), 1}}, first: o.FirstObserved, last: o.LastObserved})
				break
			}
		}
	}
	return out, nil
}

// join combines every pair of bindings from a and b that fit together; with
// ordered set, a's observations must end before b's begin.
func (m *matcher) join(a, b []binding, ordered bool) ([]binding, error) {
	var out []binding
	for _, x := range a {
		if err := m.spend(len(b) + 1); err != nil {
			return nil, err
		}
		for _, y := range b {
			if ordered && x.last.After(y.first) {
				continue
			}
			if m.times(x, y, 1) == 0 {
				continue
			}
			out = append(out, m.merge(x, y, 1))
			if len(out) > MaxBindings {
				return nil, errTooComplex
			}
		}
	}
	return out, nil
}

// times returns how many copies of y, up to limit, fit alongside x without
// using an observation more often than its capacity.
func (m *matcher) times(x, y binding, limit int64) int64 {
	n := limit
	for _, u := range y.uses {
		used := 0
		for _, v := range x.uses {
			if v.obs == u.obs {
				used = v.n
				break
			}
		}
		n = min(n, int64((m.caps[u.obs]-used)/u.n))
		if n <= 0 {
			return 0
		}
	}
	return n
}

// merge returns x with k copies of y added.
func (m *matcher) merge(x, y binding, k int64) binding {
	uses := slices.Clone(x.uses)
	for _, u := range y.uses {
		i, found := slices.BinarySearchFunc(uses, u.obs, func(a use, t int32) int { return cmp.Compare(a.obs, t) })
		if found {
			uses[i].n += u.n * int(k)
		} else {
			uses = slices.Insert(uses, i, use{u.obs, u.n * int(k)})
		}
	}
	r := binding{uses: uses, first: y.first, last: y.last}
	if len(x.uses) > 0 {
		r.first, r.last = minTime(x.first, y.first), maxTime(x.last, y.last)
	}
	return r
}

// repeats finds groups of n bindings that fit together, greedily from each
// starting point in time order (see Match).
func (m *matcher) repeats(bs []binding, n int64) ([]binding, error) {
	slices.SortStableFunc(bs, func(a, b binding) int {
		return cmp.Or(a.first.Compare(b.first), a.last.Compare(b.last))
	})
	var out []binding
	for j := range bs {
		var acc binding
		count := int64(0)
		for _, b := range bs[j:] {
			if err := m.spend(len(b.uses) + 1); err != nil {
				return nil, err
			}
			if k := m.times(acc, b, n-count); k > 0 {
				acc = m.merge(acc, b, k)
				count += k
			}
			if count == n {
				break
			}
		}
		if count < n {
			break // later starting points see fewer candidates
		}
		out = append(out, acc)
	}
	return out, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
