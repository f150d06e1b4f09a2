package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/catalog"
	"doorstep/app/identity"
	"doorstep/app/kit/geo"
	"doorstep/app/staff"
)

// Demo roster data: levels, certificate types, what the catalogue's services require, and
// about eight staff members per store.

type demoRoster struct {
	badgePrefix string
	levels      []staff.Level
	certTypes   []staff.CertType
	// requirements by the service's English name: minimum level code and certificate types.
	requirements map[string]demoRequirement
	members      []demoMember
}

type demoRequirement struct {
	minLevel string
	certs    []string
}

// Certificate states a demo member's first non-ID certificate can be in.
const (
	certFine     = ""
	certExpiring = "expiring" // approved, expires within WarnDays
	certExpired  = "expired"  // approved, expired a few days ago (the expiry check marks it)
	certPending  = "pending"  // uploaded, waiting for review
)

type demoMember struct {
	store      int    // index into the tenant's stores
	email      string // an existing demo account; "" creates one named after the badge
	name       string
	phone      string
	years      int
	level      string   // level code
	categories []string // skills: English category names
	services   []string // skills: English service names
	certs      []string // certificate types beyond id_card
	bio        string
	sunday     bool
	onboarding bool
	cert       string // state of certs[0]
	leave      bool
	area       string // "" (the store's territory), staff.AreaRadius or staff.AreaPolygon
}

var demoRosters = map[string]demoRoster{
	"jiajie": {
		badgePrefix: "JJ",
		levels: []staff.Level{
			{Code: "junior", NameZh: "初级", NameEn: "Junior", Rank: 1},
			{Code: "intermediate", NameZh: "中级", NameEn: "Intermediate", Rank: 2},
			{Code: "senior", NameZh: "高级", NameEn: "Senior", Rank: 3},
			{Code: "gold", NameZh: "金牌", NameEn: "Gold", Rank: 4},
		},
		certTypes: []staff.CertType{
			{Code: "id_card", NameZh: "身份证", NameEn: "ID card", Mandatory: true},
			{Code: "health", NameZh: "健康证", NameEn: "Health certificate", Mandatory: true},
		},
		requirements: map[string]demoRequirement{
			"Deep cleaning":                      {minLevel: "intermediate"},
			"Move-in (post-renovation) cleaning": {minLevel: "senior"},
		},
		members: []demoMember{
			{store: 0, email: "ayi.xh@jiajie.demo", name: "刘阿姨", phone: "13816000001", years: 8, level: "intermediate",
				categories: []string{"Daily cleaning", "Deep cleaning"}, sunday: true,
				bio: "从事家政保洁八年，做事细致，擅长厨房和卫生间深度清洁。"},
			{store: 0, name: "王秀英", phone: "13816000002", years: 12, level: "gold", categories: []string{"Daily cleaning", "Deep cleaning", "Move-in cleaning"},
				bio: "金牌保洁师，十二年经验，多次获得客户好评，负责新人带教。", cert: certExpiring},
			{store: 0, name: "张红梅", phone: "13816000003", years: 6, level: "senior", categories: []string{"Daily cleaning", "Deep cleaning", "Appliance cleaning"},
				bio: "住在徐家汇附近，只接徐家汇商圈的订单，准时守约。", area: staff.AreaPolygon},
			{store: 0, name: "李春兰", phone: "13816000004", years: 1, level: "junior", services: []string{"Daily home cleaning (hourly)"},
				bio: "新入职保洁师，已完成岗前培训，正在等待健康证审核。", onboarding: true, cert: certPending},
			{store: 0, name: "陈建国", phone: "13816000005", years: 9, level: "senior", categories: []string{"Appliance cleaning", "Move-in cleaning"},
				bio: "家电清洗和开荒保洁能手，自带专业蒸汽清洗设备。", area: staff.AreaRadius, sunday: true},
			{store: 0, name: "赵丽娟", phone: "13816000006", years: 4, level: "intermediate", categories: []string{"Daily cleaning", "Deep cleaning"},
				bio: "做事麻利，收纳整理有一套。", leave: true},
			{store: 0, name: "孙美华", phone: "13816000007", years: 5, level: "intermediate", services: []string{"Daily home cleaning (hourly)"},
				bio: "擅长日常保洁，健康证已过期，正在重新办理。", cert: certExpired},
			{store: 0, name: "周淑珍", phone: "13816000008", years: 2, level: "junior", services: []string{"Daily home cleaning (hourly)", "Air conditioner cleaning"},
				bio: "认真负责，周末也可以预约。", sunday: true},

			{store: 1, name: "黄玉兰", phone: "13917000001", years: 15, level: "gold", categories: []string{"Daily cleaning", "Deep cleaning", "Move-in cleaning"},
				bio: "陆家嘴店金牌保洁师，服务过上百户高端住宅。", sunday: true},
			{store: 1, name: "吴桂英", phone: "13917000002", years: 7, level: "senior", categories: []string{"Daily cleaning", "Deep cleaning"},
				bio: "细心耐心，擅长玻璃和地板养护。"},
			{store: 1, name: "徐小燕", phone: "13917000003", years: 3, level: "intermediate", categories: []string{"Daily cleaning"},
				bio: "手脚勤快，熟悉浦东各小区。"},
			{store: 1, name: "马丽", phone: "13917000004", years: 4, level: "intermediate", categories: []string{"Daily cleaning", "Deep cleaning"},
				bio: "厨房重油污处理经验丰富。", cert: certExpiring},
			{store: 1, name: "朱文静", phone: "13917000005", years: 1, level: "junior", services: []string{"Daily home cleaning (hourly)"},
				bio: "年轻有活力，学习能力强。"},
			{store: 1, name: "胡海燕", phone: "13917000006", years: 10, level: "senior", categories: []string{"Daily cleaning", "Deep cleaning", "Move-in cleaning"},
				bio: "开荒保洁十年，除胶除漆点很有经验。", sunday: true},
			{store: 1, name: "郭晓梅", phone: "13917000007", years: 2, level: "junior", categories: []string{"Daily cleaning"},
				bio: "做事踏实，守时。"},
			{store: 1, name: "何建华", phone: "13917000008", years: 6, level: "senior", categories: []string{"Appliance cleaning"},
				bio: "空调清洗专业技师，持证上岗。"},
		},
	},
	"fixit": {
		badgePrefix: "FX",
		levels: []staff.Level{
			{Code: "junior_technician", NameZh: "初级技师", NameEn: "Junior technician", Rank: 1},
			{Code: "senior_technician", NameZh: "高级技师", NameEn: "Senior technician", Rank: 2},
			{Code: "master_technician", NameZh: "首席技师", NameEn: "Master technician", Rank: 3},
		},
		certTypes: []staff.CertType{
			{Code: "id_card", NameZh: "身份证", NameEn: "ID card", Mandatory: true},
			{Code: "electrician", NameZh: "电工证", NameEn: "Electrician licence"},
			{Code: "refrigeration", NameZh: "制冷证", NameEn: "Refrigeration licence"},
		},
		requirements: map[string]demoRequirement{
			"Air conditioner repair": {minLevel: "senior_technician", certs: []string{"refrigeration"}},
			"Refrigerator repair":    {certs: []string{"refrigeration"}},
			"Washing machine repair": {certs: []string{"electrician"}},
		},
		members: []demoMember{
			{store: 0, email: "tech@fixit.demo", name: "Bo Wang", phone: "13621000001", years: 7, level: "senior_technician",
				categories: []string{"Air conditioner repair", "Refrigerator repair"}, certs: []string{"refrigeration", "electrician"},
				bio: "Seven years on split and central air conditioners; explains every fault before fixing it."},
			{store: 0, name: "Daniel Zhou", phone: "13621000002", years: 15, level: "master_technician",
				categories: []string{"Air conditioner repair", "Washing machine repair", "Refrigerator repair"}, certs: []string{"refrigeration", "electrician"},
				bio: "Workshop lead; trains new technicians and takes the hard cases.", sunday: true},
			{store: 0, name: "Kevin Li", phone: "13621000003", years: 5, level: "senior_technician",
				categories: []string{"Air conditioner repair", "Washing machine repair"}, certs: []string{"refrigeration", "electrician"},
				bio: "Air conditioners and washers; quick and tidy.", cert: certExpiring},
			{store: 0, name: "Jason Xu", phone: "13621000004", years: 1, level: "junior_technician",
				services: []string{"Washing machine repair"}, certs: []string{"electrician"},
				bio: "New on the team; electrician licence under review.", onboarding: true, cert: certPending},
			{store: 0, name: "Eric Chen", phone: "13621000005", years: 8, level: "senior_technician",
				categories: []string{"Refrigerator repair", "Air conditioner repair"}, certs: []string{"refrigeration"},
				bio: "Refrigeration specialist; licence renewal in progress.", cert: certExpired},
			{store: 0, name: "Ryan Huang", phone: "13621000006", years: 2, level: "junior_technician",
				services: []string{"Washing machine repair"}, certs: []string{"electrician"},
				bio: "Lives in Jing'an and takes jobs close to home.", area: staff.AreaRadius},
			{store: 0, name: "Tony Sun", phone: "13621000007", years: 6, level: "senior_technician",
				categories: []string{"Air conditioner repair"}, certs: []string{"refrigeration"},
				bio: "Air conditioner installs and repairs, including work at height.", leave: true, sunday: true},
			{store: 0, name: "Leo Ma", phone: "13621000008", years: 11, level: "master_technician",
				categories: []string{"Air conditioner repair", "Washing machine repair", "Refrigerator repair"}, certs: []string{"refrigeration", "electrician"},
				bio: "Covers the Nanjing West Road office towers.", area: staff.AreaPolygon},
		},
	},
}

// seedRoster creates the demo tenant's staff levels, certificate types and staff profiles
// (runs after seedCatalog, so skills can name its services).
func seedRoster(ctx context.Context, a Services, d demoTenant, stores []uuid.UUID) error {
	r, ok := demoRosters[d.slug]
	if !ok {
		return nil
	}
	levels := map[string]uuid.UUID{}
	for _, l := range r.levels {
		created, err := a.Staff.CreateLevel(ctx, l)
		if err != nil {
			return fmt.Errorf("level %s: %w", l.Code, err)
		}
		levels[l.Code] = created.ID
	}
	for _, c := range r.certTypes {
		if _, err := a.Staff.CreateCertType(ctx, c); err != nil {
			return fmt.Errorf("certificate type %s: %w", c.Code, err)
		}
	}
	cats, svcs, err := catalogNames(ctx, a)
	if err != nil {
		return err
	}
	for name, req := range r.requirements {
		id, ok := svcs[name]
		if !ok {
			return fmt.Errorf("requirement: no demo service %q", name)
		}
		u := catalog.ServiceUpdate{CertificateTypes: &req.certs}
		if req.minLevel != "" {
			u.SetMinLevel, u.MinLevelID = true, levels[req.minLevel]
		}
		if _, err := a.Catalog.UpdateService(ctx, id, u); err != nil {
			return fmt.Errorf("requirements of %s: %w", name, err)
		}
	}
	seq := map[int]int{}
	for i, m := range r.members {
		seq[m.store]++
		badge := fmt.Sprintf("%s-%s-%03d", r.badgePrefix, strings.TrimPrefix(d.stores[m.store].code, "SH-"), seq[m.store])
		if err := seedMember(ctx, a, d, stores, m, i, badge, levels, cats, svcs); err != nil {
			return fmt.Errorf("staff %s: %w", badge, err)
		}
	}
	// Mark the certificate that ran out as expired and warn about those about to.
	_, err = a.Staff.CheckCertificates(ctx)
	return err
}

// catalogNames maps the tenant's category and service English names to ids.
func catalogNames(ctx context.Context, a Services) (cats, svcs map[string]uuid.UUID, err error) {
	cs, err := a.Catalog.Categories(ctx)
	if err != nil {
		return nil, nil, err
	}
	cats = map[string]uuid.UUID{}
	for _, c := range cs {
		cats[c.NameEn] = c.ID
	}
	ss, err := a.Catalog.ListServices(ctx, catalog.ServiceFilter{}, pageAll)
	if err != nil {
		return nil, nil, err
	}
	svcs = map[string]uuid.UUID{}
	for _, s := range ss.Items {
		svcs[s.NameEn] = s.ID
	}
	return cats, svcs, nil
}

func seedMember(ctx context.Context, a Services, d demoTenant, stores []uuid.UUID, m demoMember, i int, badge string,
	levels, cats, svcs map[string]uuid.UUID) error {
	user, err := demoAccount(ctx, a, d, stores, m, badge)
	if err != nil {
		return err
	}
	store := d.stores[m.store]
	n := staff.NewStaff{UserID: user, StoreID: stores[m.store], LevelID: levels[m.level], BadgeNo: badge, DisplayName: m.name,
		PhotoURL: fmt.Sprintf("https://static.%s.demo/staff/%s.jpg", d.slug, strings.ToLower(badge)), Phone: m.phone,
		YearsExperience: m.years, Bio: m.bio, Status: staff.StatusActive}
	if m.onboarding {
		n.Status = staff.StatusOnboarding
	}
	for _, c := range m.categories {
		id, ok := cats[c]
		if !ok {
			return fmt.Errorf("no demo category %q", c)
		}
		n.Skills = append(n.Skills, staff.Skill{CategoryID: id})
	}
	for _, s := range m.services {
		id, ok := svcs[s]
		if !ok {
			return fmt.Errorf("no demo service %q", s)
		}
		n.Skills = append(n.Skills, staff.Skill{ServiceID: id})
	}
	for wd := 1; wd <= 6; wd++ {
		n.Hours = append(n.Hours, staff.Hours{Weekday: wd, Start: "08:00", End: "18:00"})
	}
	if m.sunday {
		n.Hours = append(n.Hours, staff.Hours{Weekday: 0, Start: "09:00", End: "17:00"})
	}
	home := geo.Point{Lng: store.lng + 0.01, Lat: store.lat - 0.005}
	switch m.area {
	case staff.AreaRadius:
		n.Area = staff.Area{Kind: staff.AreaRadius, Home: &home, RadiusM: 4000}
	case staff.AreaPolygon:
		// A few blocks around the store, smaller than its territory.
		lo, la := store.lng, store.lat
		ring := [][2]float64{{lo - 0.015, la - 0.01}, {lo + 0.015, la - 0.01}, {lo + 0.015, la + 0.01}, {lo - 0.015, la + 0.01}, {lo - 0.015, la - 0.01}}
		n.Area = staff.Area{Kind: staff.AreaPolygon, Home: &home, Polygon: &geo.Polygon{Type: "Polygon", Coordinates: [][][2]float64{ring}}}
	}
	st, err := a.Staff.Create(ctx, n)
	if err != nil {
		return err
	}
	if err := seedCertificates(ctx, a, d, st, m, i); err != nil {
		return err
	}
	now := time.Now()
	if m.leave {
		y, mo, dd := now.In(shanghai).Date()
		day := time.Date(y, mo, dd+1, 0, 0, 0, 0, shanghai) // tomorrow to the end of the third day
		if _, err := a.Staff.AddException(ctx, st.ID, staff.NewException{Kind: staff.ExceptionLeave, Start: day, End: day.AddDate(0, 0, 3),
			Note: leaveNote(d)}); err != nil {
			return err
		}
	}
	// Last seen a few hundred metres from the store, a little while ago.
	at := geo.Point{Lng: store.lng + 0.002*float64(i%5-2), Lat: store.lat + 0.0015*float64(i%3-1)}
	return a.Staff.SetLocation(ctx, st.ID, at, now.Add(-time.Duration(5+i*7)*time.Minute))
}

var shanghai = time.FixedZone("CST", 8*3600)

func leaveNote(d demoTenant) string {
	if d.locale == "en" {
		return "Family visit"
	}
	return "回老家探亲"
}

// demoAccount returns the member's user account: the existing demo login, or a new staff
// account in their store named after the badge.
func demoAccount(ctx context.Context, a Services, d demoTenant, stores []uuid.UUID, m demoMember, badge string) (uuid.UUID, error) {
	if m.email != "" {
		us, err := a.Identity.ListUsers(ctx, identity.UserFilter{Query: m.email}, pageAll)
		if err != nil {
			return uuid.Nil, err
		}
		for _, u := range us.Items {
			if strings.EqualFold(u.Email, m.email) {
				return u.ID, nil
			}
		}
		return uuid.Nil, fmt.Errorf("no demo account %s", m.email)
	}
	u, err := a.Identity.CreateUser(ctx, identity.NewUser{Email: strings.ToLower(badge) + "@" + d.slug + ".demo", Password: Password,
		DisplayName: m.name, StoreID: stores[m.store], Roles: []string{"staff"}}, a.Roles)
	return u.ID, err
}

// seedCertificates gives the member an approved ID card and their trade certificates; the
// first trade certificate is in the state m.cert says.
func seedCertificates(ctx context.Context, a Services, d demoTenant, st staff.Staff, m demoMember, i int) error {
	types := m.certs
	if d.slug == "jiajie" {
		types = []string{"health"}
	}
	today := time.Now().In(shanghai)
	date := func(days int) string { return today.AddDate(0, 0, days).Format(time.DateOnly) }
	file := func(t string) string {
		return fmt.Sprintf("https://static.%s.demo/certs/%s-%s.jpg", d.slug, strings.ToLower(st.BadgeNo), t)
	}
	certs := []struct {
		n     staff.NewCertificate
		state string
	}{{staff.NewCertificate{Type: "id_card", Number: fmt.Sprintf("3101**********%04d", 1000+i), FileURL: file("id_card"),
		IssuedOn: date(-3000)}, certFine}}
	for k, t := range types {
		state := certFine
		if k == 0 {
			state = m.cert
		}
		n := staff.NewCertificate{Type: t, Number: fmt.Sprintf("%s-%s-%05d", strings.ToUpper(t[:2]), today.Format("2006"), 100*i+k),
			FileURL: file(t), IssuedOn: date(-300), ExpiresOn: date(430)}
		switch state {
		case certExpiring:
			n.ExpiresOn = date(10 + 2*i%20) // within the 30-day warning window
		case certExpired:
			n.IssuedOn, n.ExpiresOn = date(-370), date(-5)
		}
		certs = append(certs, struct {
			n     staff.NewCertificate
			state string
		}{n, state})
	}
	for _, c := range certs {
		cert, err := a.Staff.AddCertificate(ctx, st.ID, c.n)
		if err != nil {
			return fmt.Errorf("certificate %s: %w", c.n.Type, err)
		}
		if c.state == certPending {
			continue
		}
		if _, err := a.Staff.Review(ctx, st.ID, cert.ID, true, ""); err != nil {
			return fmt.Errorf("approve %s: %w", c.n.Type, err)
		}
	}
	return nil
}
