// Package demo seeds a believable hub for trying kyojo: the national centre
// with its GSOC and CYMAT, four ministries, one operator in each of the ten
// critical-infrastructure sectors, two ISPs, an antivirus and a security
// vendor, the police's cybercrime unit, a defence organisation and two
// foreign CSIRTs, with sector and cross-sector communities. Every name is
// fictional except the government bodies. Seeding is idempotent: what exists
// (by handle or username) is left alone.
package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

type orgSeed struct {
	slug, name, nameJA string
	kind               identity.Kind
	sector             identity.Sector
	tier               identity.Tier
	country            string
	phone              string
}

var orgs = []orgSeed{
	{"ncc", "National Cybersecurity Centre", "内閣サイバーセキュリティセンター", identity.KindGovernment, identity.SectorGovernment, 1, "JP", "+81335810000"},
	{"gsoc", "Government Security Operation Coordination Team", "政府横断監視・即応調整チーム（GSOC）", identity.KindGovernment, identity.SectorGovernment, 1, "JP", "+81335810001"},
	{"cymat", "Cyber Incident Mobile Assistant Team", "情報セキュリティ緊急支援チーム（CYMAT）", identity.KindGovernment, identity.SectorGovernment, 1, "JP", "+81335810002"},
	{"mic", "Ministry of Internal Affairs and Communications", "総務省", identity.KindGovernment, identity.SectorGovernment, 1, "JP", "+81352535111"},
	{"meti", "Ministry of Economy, Trade and Industry", "経済産業省", identity.KindGovernment, identity.SectorGovernment, 1, "JP", "+81335011511"},
	{"mofa", "Ministry of Foreign Affairs", "外務省", identity.KindGovernment, identity.SectorGovernment, 1, "JP", "+81335803311"},
	{"mhlw", "Ministry of Health, Labour and Welfare", "厚生労働省", identity.KindGovernment, identity.SectorGovernment, 1, "JP", "+81352531111"},
	{"sakura-telecom", "Sakura Telecom", "さくら通信", identity.KindCIOperator, identity.SectorInfoComm, 1, "JP", "+81312340001"},
	{"kaede-bank", "Kaede Bank", "かえで銀行", identity.KindCIOperator, identity.SectorFinance, 1, "JP", "+81312340002"},
	{"tsubasa-air", "Tsubasa Airlines", "つばさ航空", identity.KindCIOperator, identity.SectorAviation, 2, "JP", "+81312340003"},
	{"hikari-rail", "Hikari Railway", "ひかり鉄道", identity.KindCIOperator, identity.SectorRailways, 2, "JP", "+81312340004"},
	{"minato-power", "Minato Electric Power", "みなと電力", identity.KindCIOperator, identity.SectorElectric, 1, "JP", "+81312340005"},
	{"aoba-gas", "Aoba Gas", "あおばガス", identity.KindCIOperator, identity.SectorGas, 2, "JP", "+81312340006"},
	{"midori-city", "Midori City", "みどり市", identity.KindCIOperator, identity.SectorGovernment, 3, "JP", "+81312340007"},
	{"hoshi-hospital", "Hoshi General Hospital", "星総合病院", identity.KindCIOperator, identity.SectorMedical, 2, "JP", "+81312340008"},
	{"kawase-water", "Kawase City Waterworks Bureau", "川瀬市水道局", identity.KindCIOperator, identity.SectorWater, 2, "JP", "+81312340009"},
	{"hayate-logistics", "Hayate Logistics", "はやて物流", identity.KindCIOperator, identity.SectorLogistics, 3, "JP", "+81312340010"},
	{"kumo-net", "Kumo Net", "くもネット", identity.KindISP, identity.SectorInfoComm, 2, "JP", "+81312340011"},
	{"nami-bb", "Nami Broadband", "なみブロードバンド", identity.KindISP, identity.SectorInfoComm, 2, "JP", "+81312340012"},
	{"mamori-av", "Mamori Antivirus", "まもりアンチウイルス", identity.KindAVVendor, "", 3, "JP", "+81312340013"},
	{"kagami-sec", "Kagami Security", "かがみセキュリティ", identity.KindSecurityVendor, "", 3, "JP", "+81312340014"},
	{"npa-cyber", "National Police Agency, Cybercrime Division", "警察庁サイバー犯罪対策課", identity.KindLawEnforcement, "", 1, "JP", "+81335810141"},
	{"mod-cyber", "Ministry of Defense, Cyber Defense Group", "防衛省サイバー防衛隊", identity.KindDefence, "", 1, "JP", "+81332685111"},
	{"nordland-cert", "Nordland National CERT", "ノルドランド国家CERT", identity.KindForeignCSIRT, "", 3, "NO", "+4722000000"},
	{"pacifica-csirt", "Pacifica National CSIRT", "パシフィカ国家CSIRT", identity.KindForeignCSIRT, "", 3, "FJ", "+6793300000"},
}

type communitySeed struct {
	slug, name, nameJA string
	sector             identity.Sector
	members            []string // org slugs; for a sector community, its operators join too
}

var communities = []communitySeed{
	{"government", "Government", "政府機関", "", []string{"ncc", "gsoc", "cymat", "mic", "meti", "mofa", "mhlw", "npa-cyber", "mod-cyber"}},
	{"ci-all", "Critical infrastructure (all sectors)", "重要インフラ（全分野）", "", []string{"ncc", "gsoc"}},
	{"isps", "ISPs", "ISP事業者", "", []string{"ncc", "kumo-net", "nami-bb", "sakura-telecom"}},
	{"vendors", "Antivirus and security vendors", "セキュリティベンダー", "", []string{"ncc", "mamori-av", "kagami-sec"}},
	{"international", "International partners", "国際パートナー", "", []string{"ncc", "nordland-cert", "pacifica-csirt"}},
	{"defence-le", "Defence and law enforcement", "防衛・法執行", "", []string{"ncc", "npa-cyber", "mod-cyber"}},
}

var sectorNames = map[identity.Sector][2]string{
	identity.SectorInfoComm:   {"Information and communications sector", "情報通信分野"},
	identity.SectorFinance:    {"Finance sector", "金融分野"},
	identity.SectorAviation:   {"Aviation sector", "航空分野"},
	identity.SectorRailways:   {"Railways sector", "鉄道分野"},
	identity.SectorElectric:   {"Electricity sector", "電力分野"},
	identity.SectorGas:        {"Gas sector", "ガス分野"},
	identity.SectorGovernment: {"Government and administrative services sector", "政府・行政サービス分野"},
	identity.SectorMedical:    {"Medical sector", "医療分野"},
	identity.SectorWater:      {"Water sector", "水道分野"},
	identity.SectorLogistics:  {"Logistics sector", "物流分野"},
}

// Account is one demo log-in.
type Account struct {
	Username string
	Org      string
	Role     policy.Role
	Created  bool // false when it already existed (its password is unchanged)
}

// Seed creates what is missing of the demo and returns every demo account.
// Accounts created now get password.
func Seed(ctx context.Context, svc *identity.Service, password string) ([]Account, error) {
	sys := identity.System("demo")
	for _, s := range orgs {
		o := identity.Org{Slug: s.slug, Name: s.name, NameJA: s.nameJA, Kind: s.kind, Sector: s.sector, Tier: s.tier,
			Country: s.country, Description: describe(s)}
		langs := []string{"ja", "en"}
		if s.country != "JP" {
			langs = []string{"en"}
		}
		o.Contacts = []identity.Contact{
			{Name: "CSIRT duty desk", Role: "incident response", Email: "csirt@" + s.slug + ".example.jp", Phone: s.phone,
				Available: s.tier <= 2, Languages: langs},
		}
		if _, err := svc.CreateOrg(ctx, sys, o); err != nil && !errs.Is(err, errs.Conflict) {
			return nil, fmt.Errorf("demo org %s: %w", s.slug, err)
		}
	}
	for _, sec := range identity.Sectors {
		var members []string
		for _, s := range orgs {
			if s.kind == identity.KindCIOperator && s.sector == sec {
				members = append(members, s.slug)
			}
		}
		members = append(members, "ncc", "gsoc")
		names := sectorNames[sec]
		if err := community(ctx, svc, sys, communitySeed{"sector-" + strings.ReplaceAll(string(sec), "_", "-"), names[0], names[1], sec, members}); err != nil {
			return nil, err
		}
	}
	for _, c := range communities {
		if c.slug == "ci-all" {
			for _, s := range orgs {
				if s.kind == identity.KindCIOperator {
					c.members = append(c.members, s.slug)
				}
			}
		}
		if err := community(ctx, svc, sys, c); err != nil {
			return nil, err
		}
	}
	accounts := []Account{{Username: "admin", Org: "ncc", Role: policy.HubAdmin}}
	for _, s := range orgs {
		accounts = append(accounts, Account{Username: s.slug + "-analyst", Org: s.slug, Role: policy.Analyst})
	}
	for i, a := range accounts {
		if _, err := svc.Store().UserByUsername(ctx, a.Username); err == nil {
			continue // exists: skip the password hashing
		}
		_, err := svc.CreateUser(ctx, sys, identity.NewUser{Username: a.Username, Org: a.Org, Role: a.Role, Password: password,
			DisplayName: displayName(a), Email: a.Username + "@" + a.Org + ".example.jp"})
		switch {
		case err == nil:
			accounts[i].Created = true
		case errs.Is(err, errs.Conflict):
		default:
			return nil, fmt.Errorf("demo user %s: %w", a.Username, err)
		}
	}
	return accounts, nil
}

func community(ctx context.Context, svc *identity.Service, sys identity.Actor, c communitySeed) error {
	_, err := svc.CreateCommunity(ctx, sys, identity.Community{Slug: c.slug, Name: c.name, NameJA: c.nameJA, Sector: c.sector,
		Members: c.members, Description: "Demo sharing group: " + c.name})
	if err != nil && !errs.Is(err, errs.Conflict) {
		return fmt.Errorf("demo community %s: %w", c.slug, err)
	}
	return nil
}

func describe(s orgSeed) string {
	switch s.kind {
	case identity.KindCIOperator:
		return "Demo critical-infrastructure operator (" + string(s.sector) + ")."
	case identity.KindForeignCSIRT:
		return "Demo foreign national CSIRT, partner for international coordination."
	}
	return "Demo member of the kyojo hub."
}

func displayName(a Account) string {
	if a.Role == policy.HubAdmin {
		return "Hub administrator"
	}
	return "Analyst, " + a.Org
}
