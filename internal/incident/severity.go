package incident

import (
	"fmt"
	"math"

	"github.com/kyojo-hub/kyojo/internal/identity"
)

// Functional impact on the affected organisation's services (NCISS
// "functional impact").
type Functional int

// The functional impact levels.
const (
	FuncNone          Functional = 0 // no effect on services
	FuncLow           Functional = 1 // minimal: some efficiency lost, every service still delivered
	FuncMedium        Functional = 2 // significant: a service cannot be delivered to a subset of users
	FuncHigh          Functional = 3 // denial of critical services, or loss of control of a system
	maxFunctional                = FuncHigh
	maxInformation               = InfoIntegrity
	maxRecovery                  = RecoverNot
	weightFunc                   = 0.30
	weightInfo                   = 0.20
	weightRecovery               = 0.15
	weightCriticality            = 0.35
)

// Information impact (NCISS "information impact").
type Information int

// The information impact levels.
const (
	InfoNone        Information = 0 // no information touched
	InfoPrivacy     Information = 1 // personal data exposed
	InfoProprietary Information = 2 // proprietary or classified information exposed
	InfoIntegrity   Information = 3 // critical information altered or destroyed
)

// Recoverability is how the organisation can recover (NCISS
// "recoverability").
type Recoverability int

// The recoverability levels.
const (
	RecoverRegular      Recoverability = 0 // with existing resources, predictably
	RecoverSupplemented Recoverability = 1 // predictably, with outside help
	RecoverExtended     Recoverability = 2 // unpredictable; outside help needed
	RecoverNot          Recoverability = 3 // not recoverable (e.g. data published)
)

// Level is a severity level, named after the NCISS levels.
type Level int8 // int8, not int: its JSON is the name (MarshalText), and the API schema types enums of int kind as integers

// The levels, from least to most severe.
const (
	Baseline  Level = 0 // white: unsubstantiated or inconsequential
	Low       Level = 1 // green: unlikely to affect public health, safety or the economy
	Medium    Level = 2 // yellow: may affect them
	High      Level = 3 // orange: likely to have a demonstrable impact
	Severe    Level = 4 // red: likely to result in a significant impact (national level)
	Emergency Level = 5 // black: an imminent threat to the provision of critical services
)

// Levels lists the levels from least to most severe.
var Levels = []Level{Baseline, Low, Medium, High, Severe, Emergency}

var levelNames = []string{"baseline", "low", "medium", "high", "severe", "emergency"}

// String names the level.
func (l Level) String() string {
	if l < Baseline || l > Emergency {
		return fmt.Sprintf("level(%d)", int(l))
	}
	return levelNames[l]
}

// ParseLevel reads a level name or number.
func ParseLevel(s string) (Level, bool) {
	for i, n := range levelNames {
		if s == n || s == fmt.Sprint(i) {
			return Level(i), true
		}
	}
	return 0, false
}

// MarshalText writes the name.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads a name or number.
func (l *Level) UnmarshalText(b []byte) error {
	v, ok := ParseLevel(string(b))
	if !ok {
		return fmt.Errorf("unknown severity %q: use one of %v", b, levelNames)
	}
	*l = v
	return nil
}

// Impact is the triage input of the score.
type Impact struct {
	Functional     Functional     `json:"functional"`     // 0..3
	Information    Information    `json:"information"`    // 0..3
	Recoverability Recoverability `json:"recoverability"` // 0..3
}

// Valid reports whether every input is in range.
func (im Impact) Valid() bool {
	return im.Functional >= 0 && im.Functional <= maxFunctional && im.Information >= 0 &&
		im.Information <= maxInformation && im.Recoverability >= 0 && im.Recoverability <= maxRecovery
}

// Score is a computed severity with every input shown.
type Score struct {
	Impact
	Tier         identity.Tier   `json:"tier"`             // the affected organisation's criticality tier (1 most critical)
	Sector       identity.Sector `json:"sector,omitempty"` // its critical-infrastructure sector, or ""
	TierWeight   float64         `json:"tier_weight"`      // 1.0, 0.75, 0.5, 0.25 for tiers 1..4
	SectorWeight float64         `json:"sector_weight"`    // 1.0 lifeline sectors, 0.9 other CI sectors, 0.7 none
	Points       float64         `json:"points"`           // 0..100
	Level        Level           `json:"level"`
	Formula      string          `json:"formula,omitempty"`
}

// Formula is the scoring rule, shown with every score.
const Formula = "points = 100 × (0.30·F/3 + 0.20·I/3 + 0.15·R/3 + 0.35·T·S); " +
	"F functional impact 0..3, I information impact 0..3, R recoverability 0..3, " +
	"T tier weight (tier 1..4: 1.0, 0.75, 0.5, 0.25), S sector weight (electricity, gas, water, info_comm: 1.0; other CI sectors: 0.9; none: 0.7); " +
	"level: ≥80 emergency, ≥65 severe, ≥50 high, ≥35 medium, ≥20 low, else baseline"

// lifeline sectors: others depend on them.
var lifeline = map[identity.Sector]bool{
	identity.SectorElectric: true, identity.SectorGas: true, identity.SectorWater: true, identity.SectorInfoComm: true,
}

// Compute scores an incident in the manner of the US National Cyber Incident
// Scoring System: a weighted sum of the impact categories and the affected
// organisation's criticality (its tier and sector), mapped to a level.
func Compute(im Impact, tier identity.Tier, sector identity.Sector) Score {
	tw := map[identity.Tier]float64{1: 1.0, 2: 0.75, 3: 0.5, 4: 0.25}[tier]
	if tw == 0 {
		tw = 0.5 // unknown tier counts as the default, tier 3
	}
	sw := 0.7
	switch {
	case lifeline[sector]:
		sw = 1.0
	case sector.Valid():
		sw = 0.9
	}
	p := 100 * (weightFunc*float64(im.Functional)/3 + weightInfo*float64(im.Information)/3 +
		weightRecovery*float64(im.Recoverability)/3 + weightCriticality*tw*sw)
	p = math.Round(p*10) / 10
	return Score{Impact: im, Tier: tier, Sector: sector, TierWeight: tw, SectorWeight: sw, Points: p, Level: levelOf(p), Formula: Formula}
}

func levelOf(p float64) Level {
	switch {
	case p >= 80:
		return Emergency
	case p >= 65:
		return Severe
	case p >= 50:
		return High
	case p >= 35:
		return Medium
	case p >= 20:
		return Low
	}
	return Baseline
}
