"""示例区, a fictional district for demonstrations and training. Every name, address, phone
number and case here is invented; coordinates are placed near (30.55, 114.30) for the map."""

from __future__ import annotations

DISTRICT = {"code": "demo", "name": "示例区"}

# code, name, committee (a 街道's 人大工委; a 镇 has a 人大主席团 and its own 乡镇人大代表), phone;
# then its four contact points: code, name, address, lat, lng
SUB_DISTRICTS = [
    ("donghu", "东湖街道", "东湖街道人大工委", "027-50000101", [
        ("dh-cuiliu", "翠柳社区民情民意联系点", "示例区翠柳路18号社区服务中心二楼", 30.5612, 114.3105),
        ("dh-hubin", "湖滨社区民情民意联系点", "示例区湖滨大道66号", 30.5655, 114.3201),
        ("dh-yuanlin", "园林社区民情民意联系点", "示例区园林路9号党群服务站", 30.5580, 114.3052),
        ("dh-station", "东湖街道人大代表联络站", "示例区东湖北路1号街道办事处一楼", 30.5633, 114.3150),
    ]),
    ("qingshan", "青山街道", "青山街道人大工委", "027-50000202", [
        ("qs-gangcheng", "钢城社区民情民意联系点", "示例区钢城二路120号", 30.5801, 114.2903),
        ("qs-hongqi", "红旗社区民情民意联系点", "示例区红旗街33号", 30.5752, 114.2851),
        ("qs-binjiang", "滨江社区民情民意联系点", "示例区滨江苑5栋底商", 30.5866, 114.2955),
        ("qs-station", "青山街道人大代表联络站", "示例区青山大道200号", 30.5790, 114.2880),
    ]),
    ("nanan", "南岸镇", "南岸镇人大主席团", "027-50000303", [
        ("na-xinyuan", "新苑社区民情民意联系点", "示例区新苑路77号", 30.5302, 114.3305),
        ("na-shuguang", "曙光村民情民意联系点", "示例区曙光村村委会", 30.5205, 114.3452),
        ("na-yangguang", "阳光社区民情民意联系点", "示例区阳光花园南门", 30.5358, 114.3250),
        ("na-station", "南岸镇人大代表联络站", "示例区南岸路8号", 30.5331, 114.3380),
    ]),
]

# When representatives receive residents at each place, as its posters print it. A 联络站 (code
# ending in -station) is open on working days; a community's 联系点 on one morning a week.
STATION_HOURS = "工作日9:00—17:00，每月15日代表集中接待"
POINT_HOURS = {
    "dh-cuiliu": "每周三9:00—11:30", "dh-hubin": "每周四14:30—17:00", "dh-yuanlin": "每周二9:00—11:30",
    "qs-gangcheng": "每周三14:30—17:00", "qs-hongqi": "每周五9:00—11:30", "qs-binjiang": "每周一14:30—17:00",
    "na-xinyuan": "每周二14:30—17:00", "na-shuguang": "每周四9:00—11:30", "na-yangguang": "每周三9:00—11:30",
}


def point_kind(code: str) -> str:
    return "station" if code.endswith("-station") else "point"


def reception_hours(code: str) -> str:
    return STATION_HOURS if point_kind(code) == "station" else POINT_HOURS[code]


# code, name, level, constituency (for 省/市 representatives: the congress that elected them),
# sub-district code, primary contact point code
REPRESENTATIVES = [
    ("p-lin", "林思远", "province", "示例区人民代表大会", "donghu", "dh-station"),
    ("p-zhou", "周雅琴", "province", "示例区人民代表大会", "nanan", "na-station"),
    ("c-he", "何建国", "city", "示例区人民代表大会", "donghu", "dh-hubin"),
    ("c-xu", "徐晓梅", "city", "示例区人民代表大会", "qingshan", "qs-station"),
    ("c-guo", "郭立新", "city", "示例区人民代表大会", "nanan", "na-xinyuan"),
    ("c-ma", "马慧", "city", "示例区人民代表大会", "qingshan", "qs-binjiang"),
    ("d-wang", "王明哲", "district", "第1选区", "donghu", "dh-cuiliu"),
    ("d-li", "李秀兰", "district", "第2选区", "donghu", "dh-yuanlin"),
    ("d-zhang", "张伟强", "district", "第3选区", "donghu", "dh-hubin"),
    ("d-liu", "刘春燕", "district", "第4选区", "qingshan", "qs-gangcheng"),
    ("d-chen", "陈浩然", "district", "第5选区", "qingshan", "qs-hongqi"),
    ("d-yang", "杨静", "district", "第6选区", "qingshan", "qs-binjiang"),
    ("d-zhao", "赵德胜", "district", "第7选区", "nanan", "na-yangguang"),
    ("d-huang", "黄丽娟", "district", "第8选区", "nanan", "na-xinyuan"),
    ("t-wu", "吴天佑", "township", "曙光村选区", "nanan", "na-shuguang"),
    ("t-sun", "孙桂芳", "township", "曙光村选区", "nanan", "na-shuguang"),
    ("t-zhu", "朱永和", "township", "新苑选区", "nanan", "na-xinyuan"),
    ("t-gao", "高文博", "township", "阳光选区", "nanan", "na-yangguang"),
    ("d-luo", "罗小燕", "district", "第9选区", "qingshan", "qs-hongqi"),
    ("d-zheng", "郑家宝", "district", "第10选区", "donghu", "dh-cuiliu"),
]

# Each representative's work unit and a line about them (invented, like everything here).
REPRESENTATIVE_DETAILS = {
    "p-lin": ("示例区人民医院", "心内科主任医师，长期关注基层医疗和养老服务。"),
    "p-zhou": ("南岸镇农业服务中心", "农技推广研究员，关注乡村道路和农田水利。"),
    "c-he": ("东湖街道湖滨社区居委会", "社区书记，做了二十年群众工作。"),
    "c-xu": ("青山钢铁集团", "高级工程师，关注老工业区改造和职工住房。"),
    "c-guo": ("南岸镇新苑小学", "小学校长，关注义务教育和学生上下学安全。"),
    "c-ma": ("示例区律师协会", "执业律师，为群众提供法律咨询。"),
    "d-wang": ("示例区第一中学", "中学教师，关注学区划分和青少年活动场所。"),
    "d-li": ("园林社区卫生服务中心", "全科医生，关注社区卫生服务和老年人就医。"),
    "d-zhang": ("示例区公交公司", "公交线路调度员，关注公交线网和出行便利。"),
    "d-liu": ("钢城社区居委会", "社区主任，关注老旧小区改造和物业管理。"),
    "d-chen": ("红旗街个体商户", "经营早餐店十余年，关注小微商户经营环境。"),
    "d-yang": ("滨江苑业主委员会", "业委会主任，关注电梯安全和小区公共收益。"),
    "d-zhao": ("阳光花园物业服务中心", "物业经理，关注社区环境和停车管理。"),
    "d-huang": ("新苑社区养老服务站", "养老护理员，关注居家养老和助餐服务。"),
    "t-wu": ("曙光村村委会", "村委会主任，关注村道硬化和村容整治。"),
    "t-sun": ("曙光村种植合作社", "合作社负责人，关注农产品销售和农民增收。"),
    "t-zhu": ("南岸镇新苑社区", "社区网格员，熟悉辖区每家每户。"),
    "t-gao": ("南岸镇卫生院", "乡镇医生，关注农村医疗和慢病管理。"),
    "d-luo": ("红旗社区幼儿园", "幼儿园园长，关注托育服务和儿童安全。"),
    "d-zheng": ("翠柳路农贸市场", "市场管理员，关注食品安全和市场环境。"),
}

# code, name as the district writes it, phone, what people call it (matched by 「转部门」)
DEPARTMENTS = [
    ("cg", "区城市管理执法局", "027-50001001", "城管,城管局,城市管理,执法局"),
    ("zj", "区住房和城乡建设局", "027-50001002", "住建,住建局,房管,建设局"),
    ("jt", "区交通运输局", "027-50001003", "交通,交通局,交通运输,公交"),
    ("jy", "区教育局", "027-50001004", "教育,学校"),
    ("wj", "区卫生健康局", "027-50001005", "卫健,卫健局,卫生,卫生局"),
    ("rs", "区人力资源和社会保障局", "027-50001006", "人社,人社局,社保"),
    ("mz", "区民政局", "027-50001007", "民政"),
    ("sthj", "市生态环境局示例区分局", "027-50001008", "环保,生态环境,环境,环保局"),
    ("scjg", "区市场监督管理局", "027-50001009", "市场监管,市监,市监局,工商"),
    ("gafj", "市公安局示例区分局", "027-50001010", "公安,派出所,交警,公安局"),
]

# How staff write each department briefly.
DEPARTMENT_SHORT_NAMES = {
    "cg": "城管局", "zj": "住建局", "jt": "交通局", "jy": "教育局", "wj": "卫健局", "rs": "人社局", "mz": "民政局",
    "sthj": "生态环境分局", "scjg": "市场监管局", "gafj": "公安分局",
}

# What residents report: text, category (一级/二级/三级, rows of the default taxonomy), tier,
# department code for tier 3, and how the matter was answered.
REPORTS = [
    ("小区3栋楼道的声控灯坏了快一个月了，老人晚上上下楼很不方便。", "城乡建设/城市建设和市政管理/小区管理",
     "subdistrict", None, "社区已安排物业更换灯具，已全部恢复照明。"),
    ("翠柳路菜市场门口垃圾桶每天满出来没人清，夏天味道很大。", "城乡建设/城市建设和市政管理/环境卫生",
     "department", "cg", "城管局已将该点位清运调整为每日两次，并增设两个垃圾桶。"),
    ("湖滨大道和园林路路口红绿灯时间太短，老人带小孩过不完马路。", "政法/交通管理/交通安全管理",
     "department", "gafj", "交警大队已将行人绿灯时间由25秒延长至40秒。"),
    ("我们小区旁边工地晚上十一点以后还在施工，噪音很大影响休息。", "环境保护/环境污染/噪音污染",
     "department", "sthj", "生态环境分局已约谈施工单位，夜间22点后停止高噪声作业。"),
    ("希望在钢城二路增设一个公交站点，现在最近的站要走二十分钟。", "城乡建设/城市建设和市政管理/公共汽车",
     "department", "jt", "交通运输局已将该需求纳入明年线网优化方案，正在征求意见。"),
    ("小孩今年上小学，按片区划分要去很远的学校，能不能调整学区？", "教育文体/教育体制/教育统筹管理",
     "department", "jy", "教育局答复：今年学区划分已公示，可申请就近学校调剂，已告知办理方式。"),
    ("社区卫生服务中心周末不开门，老人看病拿药不方便。", "卫生计生/医政监管/医疗技术和服务",
     "department", "wj", "卫健局已协调该中心周六上午开放全科门诊。"),
    ("灵活就业人员的养老保险怎么缴费？网上找不到办理入口。", "劳动和社会保障/城镇居民社会保险/其他",
     "representative", None, "代表已电话联系，告知可通过人社局公众号和社区服务站办理，并附上办理流程。"),
    ("楼下新开的餐馆油烟直接排到居民楼，窗户都不敢开。", "环境保护/环境污染/大气污染",
     "department", "sthj", "已责令餐馆加装油烟净化设备并改造排烟管道。"),
    ("曙光村村口的路坑坑洼洼，下雨天全是积水，电动车经常滑倒。", "城乡建设/村镇建设/新农村建设",
     "subdistrict", None, "街道已安排对该路段进行修补，积水问题已解决。"),
    ("建议在阳光花园附近建一个社区食堂，方便独居老人吃饭。", "民政/基层选举和社区建设/社区建设",
     "department", "mz", "民政局已将阳光社区纳入老年助餐点建设计划。"),
    ("超市卖的鸡蛋过期了还在货架上，找店员也不处理。", "卫生计生/食品药品监管/食品安全",
     "department", "scjg", "市场监管局已现场检查并下架过期商品，对超市立案调查。"),
    ("建议修建地铁延长线到南岸，现在进城通勤要一个半小时。", "城乡建设/城市建设和市政管理/地铁城铁",
     "higher_congress", None, "已整理为闭会期间代表建议报送区人大常委会，转市轨道交通主管部门研究。"),
    ("建议全省统一提高城乡居民基础养老金标准。", "劳动和社会保障/城镇居民社会保险/其他",
     "higher_congress", None, "已由省人大代表作为议案建议提交。"),
    ("小区物业收费不公示，业主问了也不给看账目。", "城乡建设/城市建设和市政管理/小区管理",
     "subdistrict", None, "街道工委约谈物业公司，物业已在公告栏公示收支明细。"),
    ("想了解一下老旧小区改造的政策，我们小区能不能申请？", "城乡建设/住房保障与房地产/修缮装修",
     "representative", None, "代表已当面解答，并告知社区可于每年三月集中申报。"),
    ("红旗街夜市占道经营，消防通道被堵住了。", "城乡建设/城市建设和市政管理/城管执法",
     "department", "cg", "城管局已规划夜市摆摊区域，消防通道已清理并设置隔离桩。"),
    ("滨江苑的电梯经常困人，维保单位不负责。", "城乡建设/安全生产/安全隐患",
     "department", "scjg", "市场监管局已对电梯开展专项检查，责令维保单位整改。"),
    ("公园里的健身器材坏了好几个，担心有人受伤。", "城乡建设/城市建设和市政管理/公园管理",
     "subdistrict", None, "社区已拆除损坏器材并更换新器材。"),
    ("晚上小区门口总有人飙车，很危险。", "政法/交通管理/交通安全管理",
     "department", "gafj", "公安分局已在该路段增加夜间巡逻并设置测速点。"),
]

# Staff accounts: username, display name, role, sub-district code or department code.
STAFF = [
    ("district", "区人大常委会人代工委", "district", None),
    ("donghu", "东湖街道人大工委", "subdistrict", "donghu"),
    ("qingshan", "青山街道人大工委", "subdistrict", "qingshan"),
    ("nanan", "南岸镇人大主席团", "subdistrict", "nanan"),
    *[(f"dept-{code}", f"{name}联络员", "department", code) for code, name, _, _ in DEPARTMENTS],
]
# Staff with a bound WeChat in the demo (openid demo-staff-<username>): a clerk per
# sub-district, the district office and two department liaisons, so the sandbox has their phones.
BOUND_STAFF = ("district", "donghu", "qingshan", "nanan", "dept-cg", "dept-zj")

CASES = 60

# The demo's residents as WeChat shows them: the nickname each one chose, some a real name, some
# not (the simulator lists their phones by these; minyi itself never learns a nickname).
RESIDENT_NICKNAMES = (
    "张桂英", "老刘", "李阿姨", "陈晓东", "王姐", "向日葵", "周建华", "岁月静好", "赵大爷",
    "小鱼儿", "孙丽萍", "老吴", "杨帆", "知足常乐", "黄师傅", "晨跑的小马", "胡秀珍", "郑老师",
    "丁丁妈妈", "冯志强", "宋姐", "开心果", "何玉兰", "老高", "朱大叔", "梁晓雯", "平安是福",
    "谢国平", "小韩", "荷塘月色", "唐秀英", "许文斌", "邓阿姨", "蓝天白云", "程子墨", "退休老曹",
)
RESIDENTS = len(RESIDENT_NICKNAMES)


def resident_openid(index: int) -> str:
    """The openid of the demo's resident number ``index`` (from 0)."""
    return f"demo-resident-{index + 1:02d}"


RESIDENT_BY_OPENID = {resident_openid(index): name for index, name in enumerate(RESIDENT_NICKNAMES)}
