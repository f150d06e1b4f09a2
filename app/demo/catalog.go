package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"doorstep/app/catalog"
	"doorstep/app/pricing"
)

// Demo catalogue data. Prices are fen (CNY minor units): 9800 is ¥98.00.
type demoCategory struct {
	zh, en   string
	services []demoService
}

type demoService struct {
	zh, en, descZh, descEn string
	minutes                int
	skill                  string
	image                  string
	steps                  [][2]string // zh, en
	packages               []demoPackage
	addOns                 []demoAddOn
}

type demoPackage struct {
	zh, en               string
	areaMin, areaMax     int
	dirt, freq           string
	minutes              int
	list, floor, ceiling int64
	locked               bool
	override             int64 // price at the demo's second store (0: none)
	overrideStore        int   // index into the tenant's stores
	offSale              bool
}

type demoAddOn struct {
	zh, en  string
	price   int64
	minutes int
}

var cleaningSteps = [][2]string{
	{"卧室：整理床铺、擦拭床头柜", "Bedroom: make the bed, wipe the bedside tables"},
	{"客厅：擦拭家具表面、电视柜", "Living room: wipe furniture and the TV stand"},
	{"厨房：台面、灶台、水槽去污", "Kitchen: counters, hob and sink"},
	{"卫生间：马桶、洗手台、淋浴区消毒", "Bathroom: disinfect toilet, basin and shower"},
	{"全屋：吸尘、拖地，垃圾带走", "Whole home: vacuum, mop, take the rubbish out"},
	{"请客户验收并确认", "Walk the customer through and ask for acceptance"},
}

var demoCatalogs = map[string][]demoCategory{
	"jiajie": {
		{"日常保洁", "Daily cleaning", []demoService{{
			zh: "日常保洁（钟点工）", en: "Daily home cleaning (hourly)", minutes: 120, skill: "cleaning",
			descZh: "按小时上门保洁，适合日常维护，保洁师自带工具。", descEn: "Hourly home cleaning for regular upkeep; our cleaner brings the tools.",
			image: "https://static.jiajie.demo/img/daily.jpg", steps: cleaningSteps,
			packages: []demoPackage{
				{zh: "2小时", en: "2 hours", freq: "once", minutes: 120, list: 9800, floor: 8800, ceiling: 11800, override: 10800, overrideStore: 1},
				{zh: "3小时", en: "3 hours", freq: "once", minutes: 180, list: 13900, floor: 12500, ceiling: 16500},
				{zh: "每周4小时（包月）", en: "4 hours weekly (monthly plan)", freq: "weekly", minutes: 240, list: 15800, floor: 14800, ceiling: 17800},
			},
			addOns: []demoAddOn{{"冰箱内部清洁", "Fridge interior", 4000, 30}, {"擦窗（内侧）", "Windows (inside)", 5000, 45}, {"衣物收纳整理", "Wardrobe tidy-up", 6000, 60}},
		}}},
		{"深度保洁", "Deep cleaning", []demoService{{
			zh: "深度保洁", en: "Deep cleaning", minutes: 300, skill: "cleaning",
			descZh: "全屋深度清洁，厨房重油污、卫生间水垢重点处理。", descEn: "Whole-home deep clean with grease and limescale treatment in kitchen and bathroom.",
			image: "https://static.jiajie.demo/img/deep.jpg", steps: cleaningSteps,
			packages: []demoPackage{
				{zh: "60㎡以内", en: "Up to 60 m²", areaMax: 60, dirt: "normal", freq: "once", minutes: 240, list: 39900, floor: 35900, ceiling: 45900},
				{zh: "60–90㎡", en: "60–90 m²", areaMin: 60, areaMax: 90, dirt: "normal", freq: "once", minutes: 300, list: 59900, floor: 53900, ceiling: 69900, override: 64900, overrideStore: 1},
				{zh: "90–120㎡", en: "90–120 m²", areaMin: 90, areaMax: 120, dirt: "normal", freq: "once", minutes: 360, list: 79900, floor: 71900, ceiling: 89900},
				{zh: "90–120㎡ 重度脏污", en: "90–120 m², heavy soiling", areaMin: 90, areaMax: 120, dirt: "heavy", freq: "once", minutes: 480, list: 99900, floor: 89900, ceiling: 119900},
			},
			addOns: []demoAddOn{{"油烟机拆洗", "Range hood strip-clean", 12000, 60}, {"冰箱清洁", "Fridge cleaning", 8000, 45}, {"阳台清洁", "Balcony", 6000, 40}},
		}}},
		{"开荒保洁", "Move-in cleaning", []demoService{{
			zh: "开荒保洁", en: "Move-in (post-renovation) cleaning", minutes: 480, skill: "cleaning",
			descZh: "装修后首次清洁：除胶、除漆点、除尘。", descEn: "First clean after renovation: glue, paint spots and dust removal.",
			image: "https://static.jiajie.demo/img/move-in.jpg",
			steps: [][2]string{{"除去玻璃、地面胶渍与漆点", "Remove glue and paint spots from glass and floors"}, {"柜体内外除尘", "Dust cabinets inside and out"},
				{"门窗、轨道清洁", "Clean doors, windows and tracks"}, {"全屋吸尘、拖地两遍", "Vacuum and mop the whole home twice"}},
			packages: []demoPackage{
				{zh: "90㎡以内", en: "Up to 90 m²", areaMax: 90, dirt: "heavy", freq: "once", minutes: 480, list: 89900, floor: 89900, ceiling: 89900, locked: true},
				{zh: "90–140㎡", en: "90–140 m²", areaMin: 90, areaMax: 140, dirt: "heavy", freq: "once", minutes: 600, list: 129900, floor: 119900, ceiling: 139900},
			},
			addOns: []demoAddOn{{"甲醛检测", "Formaldehyde test", 19900, 30}},
		}}},
		{"家电清洗", "Appliance cleaning", []demoService{{
			zh: "空调清洗", en: "Air conditioner cleaning", minutes: 60, skill: "appliance_cleaning",
			descZh: "拆洗滤网、高温蒸汽清洗蒸发器、杀菌除味。", descEn: "Filter wash, steam-clean the evaporator, disinfect and deodorise.",
			image: "https://static.jiajie.demo/img/ac.jpg",
			steps: [][2]string{{"铺设防护罩", "Lay protective covers"}, {"拆洗滤网", "Remove and wash the filters"}, {"蒸汽清洗蒸发器", "Steam-clean the evaporator"},
				{"试机并展示清洗效果", "Test run and show the result"}},
			packages: []demoPackage{
				{zh: "挂机", en: "Wall unit", freq: "once", minutes: 60, list: 9900, floor: 8900, ceiling: 12900},
				{zh: "柜机", en: "Floor-standing unit", freq: "once", minutes: 90, list: 15900, floor: 14900, ceiling: 18900, offSale: true, overrideStore: 1},
			},
			addOns: []demoAddOn{{"外机清洗", "Outdoor unit", 5000, 30}},
		}}},
	},
	"fixit": { // an English-first brand; names are bilingual all the same
		demoCategory{"空调维修", "Air conditioner repair", []demoService{{
			zh: "空调维修", en: "Air conditioner repair", minutes: 90, skill: "ac_repair",
			descZh: "不制冷、漏水、异响等故障上门检修，先报价后维修。", descEn: "On-site repair for no cooling, leaks and noise; you approve the quote before work starts.",
			image: "https://static.fixit.demo/img/ac.jpg",
			steps: [][2]string{{"出示工牌并确认故障", "Show the badge and confirm the fault"}, {"检测并报价，经客户同意后维修", "Diagnose and quote; repair only after the customer agrees"},
				{"维修并试机30分钟", "Repair and test-run for 30 minutes"}, {"清理现场，说明保修", "Clean up and explain the warranty"}},
			packages: []demoPackage{
				{zh: "上门检测", en: "Diagnosis visit", freq: "once", minutes: 60, list: 5000, floor: 5000, ceiling: 8000},
				{zh: "挂机维修", en: "Wall unit repair", freq: "once", minutes: 90, list: 18000, floor: 15000, ceiling: 22000},
				{zh: "加氟（R32）", en: "Refrigerant recharge (R32)", freq: "once", minutes: 60, list: 26000, floor: 24000, ceiling: 30000},
			},
			addOns: []demoAddOn{{"高空作业（外机）", "Work at height (outdoor unit)", 10000, 30}, {"另一台检测", "Inspect another unit", 3000, 20}},
		}}},
		demoCategory{"洗衣机维修", "Washing machine repair", []demoService{{
			zh: "洗衣机维修", en: "Washing machine repair", minutes: 90, skill: "washer_repair",
			descZh: "不排水、不脱水、漏水等故障维修。", descEn: "Repairs for drain, spin and leak faults.",
			image: "https://static.fixit.demo/img/washer.jpg",
			steps: [][2]string{{"确认故障并检测", "Confirm and diagnose the fault"}, {"报价并征得同意", "Quote and get consent"}, {"维修并试运行", "Repair and run a test cycle"}},
			packages: []demoPackage{
				{zh: "上门检测", en: "Diagnosis visit", freq: "once", minutes: 45, list: 5000, floor: 5000, ceiling: 8000},
				{zh: "排水系统维修", en: "Drain system repair", freq: "once", minutes: 90, list: 15000, floor: 13000, ceiling: 18000},
			},
			addOns: []demoAddOn{{"滚筒深度清洁", "Drum deep clean", 12000, 60}},
		}}},
		demoCategory{"冰箱维修", "Refrigerator repair", []demoService{{
			zh: "冰箱维修", en: "Refrigerator repair", minutes: 120, skill: "fridge_repair",
			descZh: "不制冷、结霜、异响维修。", descEn: "Repairs for no cooling, frosting and noise.",
			image: "https://static.fixit.demo/img/fridge.jpg",
			steps: [][2]string{{"检测温度与压缩机", "Check temperatures and compressor"}, {"报价并征得同意", "Quote and get consent"}, {"维修并观察制冷", "Repair and watch it cool down"}},
			packages: []demoPackage{
				{zh: "上门检测", en: "Diagnosis visit", freq: "once", minutes: 60, list: 6000, floor: 6000, ceiling: 9000},
				{zh: "不制冷维修", en: "Not-cooling repair", freq: "once", minutes: 120, list: 22000, floor: 19000, ceiling: 26000},
			},
			addOns: []demoAddOn{{"门封条更换", "Door seal replacement", 9000, 30}},
		}}},
	},
}

// demoPricing is each demo tenant's surcharges, holidays and travel policy.
var demoPricing = map[string]struct {
	rules    []pricing.Rule
	holidays map[string]string
	travel   pricing.Travel
}{
	"jiajie": {
		rules: []pricing.Rule{
			{Kind: pricing.RuleWeekend, NameZh: "周末服务费", NameEn: "Weekend surcharge", PercentBP: 1000, Active: true},
			{Kind: pricing.RuleHoliday, NameZh: "节假日服务费", NameEn: "Public holiday surcharge", PercentBP: 2000, Active: true},
			{Kind: pricing.RuleTime, NameZh: "夜间服务费", NameEn: "Evening surcharge", Fixed: 2000, StartMin: 18 * 60, EndMin: 21 * 60, Active: true},
		},
		holidays: map[string]string{"2027-01-01": "元旦", "2027-02-06": "春节", "2027-02-07": "春节", "2027-02-08": "春节", "2027-05-01": "劳动节"},
		travel:   pricing.Travel{FreeMeters: 5000, PerKm: 300, Max: 3000},
	},
	"fixit": {
		rules: []pricing.Rule{
			{Kind: pricing.RuleWeekend, NameZh: "周末上门费", NameEn: "Weekend call-out", PercentBP: 1500, Active: true},
		},
		holidays: map[string]string{"2027-01-01": "New Year's Day"},
		travel:   pricing.Travel{FreeMeters: 3000, PerKm: 500, Max: 5000},
	},
}

// seedCatalog creates the demo tenant's catalogue: jiajie is a cleaning chain, fixit an
// appliance-repair one. stores are the demo stores' ids in d.stores order.
func seedCatalog(ctx context.Context, a Services, d demoTenant, stores []uuid.UUID) error {
	for i, dc := range demoCatalogs[d.slug] {
		cat, err := a.Catalog.CreateCategory(ctx, catalog.NewCategory{Position: i + 1, NameZh: dc.zh, NameEn: dc.en})
		if err != nil {
			return fmt.Errorf("category %s: %w", dc.en, err)
		}
		for j, ds := range dc.services {
			if err := seedService(ctx, a, cat.ID, j+1, ds, stores); err != nil {
				return fmt.Errorf("service %s: %w", ds.en, err)
			}
		}
	}
	pr, ok := demoPricing[d.slug]
	if !ok {
		return nil
	}
	for _, r := range pr.rules {
		if _, err := a.Pricing.CreateRule(ctx, r); err != nil {
			return fmt.Errorf("pricing rule %s: %w", r.NameEn, err)
		}
	}
	for day, name := range pr.holidays {
		t, err := time.Parse(time.DateOnly, day)
		if err != nil {
			return err
		}
		if err := a.Pricing.SetHoliday(ctx, t, name); err != nil {
			return err
		}
	}
	return a.Pricing.SetTravel(ctx, uuid.Nil, pr.travel)
}

func seedService(ctx context.Context, a Services, category uuid.UUID, pos int, ds demoService, stores []uuid.UUID) error {
	steps := make([]catalog.Step, len(ds.steps))
	for i, s := range ds.steps {
		steps[i] = catalog.Step{Zh: s[0], En: s[1]}
	}
	sv, err := a.Catalog.CreateService(ctx, catalog.Item{CategoryID: category, NameZh: ds.zh, NameEn: ds.en, DescriptionZh: ds.descZh,
		DescriptionEn: ds.descEn, Images: []string{ds.image}, DurationMinutes: ds.minutes, Skill: ds.skill, Checklist: steps, Position: pos})
	if err != nil {
		return err
	}
	for i, dp := range ds.packages {
		p, err := a.Catalog.CreatePackage(ctx, sv.ID, catalog.Package{NameZh: dp.zh, NameEn: dp.en, AreaMinSqm: dp.areaMin, AreaMaxSqm: dp.areaMax,
			DirtLevel: dp.dirt, Frequency: dp.freq, DurationMinutes: dp.minutes, ListPrice: dp.list, FloorPrice: dp.floor, CeilingPrice: dp.ceiling,
			Locked: dp.locked, Active: true, Position: i + 1})
		if err != nil {
			return err
		}
		if (dp.override == 0 && !dp.offSale) || dp.overrideStore >= len(stores) {
			continue
		}
		var price *int64
		if dp.override > 0 {
			price = &dp.override
		}
		if _, err := a.Catalog.SetStorePrice(ctx, stores[dp.overrideStore], p.ID, price, !dp.offSale); err != nil {
			return err
		}
	}
	for i, da := range ds.addOns {
		if _, err := a.Catalog.CreateAddOn(ctx, sv.ID, catalog.AddOn{NameZh: da.zh, NameEn: da.en, Price: da.price, DurationMinutes: da.minutes,
			Active: true, Position: i + 1}); err != nil {
			return err
		}
	}
	_, err = a.Catalog.Publish(ctx, sv.ID)
	return err
}
