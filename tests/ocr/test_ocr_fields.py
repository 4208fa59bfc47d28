"""extract_fields and compare_with_claim (core.evidence_fields): pure, no OCR."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.evidence_fields import (
    EvidenceFields,
    Flag,
    compare_with_claim,
    exact_hours_text,
    extract_fields,
    normalise_line,
    parse_number,
    strip_keeping_brackets,
)
from services.synthetic_evidence import HALF_DAY_HOURS

D = date

SENTENCE = [
    "培训证书",
    "张伟同志：",
    "于2024年10月8日至10月9日参加由广西医学会举办的急诊急救能力提升培训班，",
    "共计16学时，特发此证。",
    "证书编号：GXYX-2024-00123",
    "广西医学会",
    "2024年10月9日",
]


def test_sentence_certificate_all_fields() -> None:
    f = extract_fields(SENTENCE, half_day_hours=HALF_DAY_HOURS)
    assert f == EvidenceFields(
        title="急诊急救能力提升培训班",
        organiser="广西医学会",
        person_name="张伟",
        started_on=D(2024, 10, 8),
        completed_on=D(2024, 10, 9),
        hours=Fraction(16),
        hours_basis="hours",
        number="GXYX-2024-00123",
    )
    assert f.names() == [
        "title",
        "organiser",
        "person_name",
        "started_on",
        "completed_on",
        "hours",
        "hours_basis",
        "number",
    ]


def test_one_sentence_from_the_brief() -> None:
    f = extract_fields(
        [
            "张伟同志于2024年10月8日至9日参加由广西医学会举办的急诊急救能力提升培训班，"
            "共计16学时，特发此证。"
        ],
        half_day_hours=HALF_DAY_HOURS,
    )
    assert (f.person_name, f.organiser, f.title) == ("张伟", "广西医学会", "急诊急救能力提升培训班")
    assert (f.started_on, f.completed_on, f.hours) == (D(2024, 10, 8), D(2024, 10, 9), 16)
    assert f.number is None


def test_labelled_fields_win_and_share_lines() -> None:
    f = extract_fields(
        [
            "结业证书",
            "姓 名：李 娜  性别：女",
            "培训名称：基层医疗卫生人员能力提升培训",
            "主办单位：广西壮族自治区卫生健康委员会",
            "培训时间：2024.3.5—2024.3.7",
            "学时：２４",
            "编号：NO.2O24OOO12",
            "南宁市某某医院",
        ],
        half_day_hours=HALF_DAY_HOURS,
    )
    assert f.person_name == "李娜"
    assert f.title == "基层医疗卫生人员能力提升培训"
    assert f.organiser == "广西壮族自治区卫生健康委员会"  # the label beats the last org line
    assert (f.started_on, f.completed_on) == (D(2024, 3, 5), D(2024, 3, 7))
    assert f.hours == 24 and f.hours_basis == "hours"
    assert f.number == "202400012"  # O read for 0 inside a number


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("于2024年10月8日参加培训", D(2024, 10, 8), D(2024, 10, 8)),
        ("培训时间：2024.10.08", D(2024, 10, 8), D(2024, 10, 8)),
        ("培训日期：2024-10-08", D(2024, 10, 8), D(2024, 10, 8)),
        ("培训日期：2024/10/8", D(2024, 10, 8), D(2024, 10, 8)),
        ("于2024年10月8日至10月9日参加", D(2024, 10, 8), D(2024, 10, 9)),
        ("于2024年10月8日-9日参加", D(2024, 10, 8), D(2024, 10, 9)),
        ("时间：2024.10.8—2024.10.9", D(2024, 10, 8), D(2024, 10, 9)),
        ("时间：2024.10.8-2024.10.9", D(2024, 10, 8), D(2024, 10, 9)),
        ("培训时间  2024.12.22 -- 2024.12.24", D(2024, 12, 22), D(2024, 12, 24)),
        ("时间：2024-10-08至2024-10-10", D(2024, 10, 8), D(2024, 10, 10)),
        ("于2024年9月29日至10月2日参加", D(2024, 9, 29), D(2024, 10, 2)),
        ("于2024年12月30日至1月2日参加", D(2024, 12, 30), D(2025, 1, 2)),
        ("于２０２４年１０月８日至９日参加", D(2024, 10, 8), D(2024, 10, 9)),
        ("于2O24年1O月8日至9日参加", D(2024, 10, 8), D(2024, 10, 9)),
        ("于 2024 年 10 月 8 日 至 10 月 9 日参加", D(2024, 10, 8), D(2024, 10, 9)),
        ("于2024年10月8日一10月9日参加", D(2024, 10, 8), D(2024, 10, 9)),  # OCR: — as 一
        ("于二〇二四年十月八日参加培训", D(2024, 10, 8), D(2024, 10, 8)),
        ("于二〇二四年六月一日至六月二日参加", D(2024, 6, 1), D(2024, 6, 2)),
        ("于二O二四年十二月三十日至三十一日参加", D(2024, 12, 30), D(2024, 12, 31)),
        ("开始日期：2024年5月6日", D(2024, 5, 6), None),
        ("于2024年10月8号至10号参加", D(2024, 10, 8), D(2024, 10, 10)),
    ],
)
def test_dates(text: str, start: date, end: date | None) -> None:
    f = extract_fields([text], half_day_hours=HALF_DAY_HOURS)
    assert (f.started_on, f.completed_on) == (start, end)


def test_issue_date_alone_is_not_a_training_date() -> None:
    f = extract_fields(
        ["张伟同志参加急救培训，共计8学时。", "发证日期：2024年12月1日"],
        half_day_hours=HALF_DAY_HOURS,
    )
    assert f.started_on is None and f.completed_on is None
    assert f.hours == 8
    f = extract_fields(
        ["张伟同志参加急救培训，共计8学时。", "广西医学会", "2024年12月1日"],
        half_day_hours=HALF_DAY_HOURS,
    )
    assert f.started_on is None and f.completed_on is None


def test_invalid_dates_are_ignored() -> None:
    f = extract_fields(
        ["于2024年13月40日参加培训", "证书编号：GX2024-0001"], half_day_hours=HALF_DAY_HOURS
    )
    assert f.started_on is None and f.completed_on is None


def test_range_split_over_two_lines() -> None:
    f = extract_fields(
        [
            "证明",
            "刘洋同志于2024年10月8日至10月",
            "9日参加了桂林医学院举办的心电图判读培训，共计十六学时。",
        ],
        half_day_hours=HALF_DAY_HOURS,
    )
    assert (f.started_on, f.completed_on) == (D(2024, 10, 8), D(2024, 10, 9))
    assert f.person_name == "刘洋"
    assert f.organiser == "桂林医学院"
    assert f.title == "心电图判读培训"
    assert f.hours == 16


@pytest.mark.parametrize(
    ("text", "hours", "basis"),
    [
        ("共计16学时", Fraction(16), "hours"),
        ("学时：16", Fraction(16), "hours"),
        ("学时:12.5", Fraction(25, 2), "hours"),
        ("16 学时", Fraction(16), "hours"),
        ("共计十六学时", Fraction(16), "hours"),
        ("合计二十四学时", Fraction(24), "hours"),
        ("共 8 个学时", Fraction(8), "hours"),
        ("培训6小时", Fraction(6), "hours"),
        ("共计１６学时", Fraction(16), "hours"),
        ("共计l6学时", Fraction(16), "hours"),  # l read for 1
        ("共计1.33学时", Fraction(133, 100), "hours"),  # not a half: kept as read
        ("理论8学时，实践4学时，共计12学时", Fraction(12), "hours"),
        ("理论8学时，实践12学时", Fraction(12), "hours"),  # no total: the largest
        ("计 2 天", Fraction(16), "days"),
        ("为期两天", Fraction(16), "days"),
        ("培训1.5天", Fraction(12), "days"),
        ("为期两天半", Fraction(20), "days"),
        ("培训半天", Fraction(4), "half_days"),
        ("共3个半天", Fraction(12), "half_days"),
        ("第一天报到，共2天", Fraction(16), "days"),
    ],
)
def test_hours(text: str, hours: Fraction, basis: str) -> None:
    f = extract_fields([text], half_day_hours=HALF_DAY_HOURS)
    assert (f.hours, f.hours_basis) == (hours, basis)


def test_days_with_other_half_day_hours_and_without_conversion() -> None:
    assert extract_fields(["计2天"], half_day_hours=Fraction(3)).hours == 12
    assert extract_fields(["3个半天"], half_day_hours=Fraction(7, 2)).hours == Fraction(21, 2)
    f = extract_fields(["计2天"], half_day_hours=None)
    assert f.hours is None and f.hours_basis is None
    assert extract_fields(["共计16学时"], half_day_hours=None).hours == 16  # hours unaffected


def test_hours_prefer_hours_over_days() -> None:
    assert extract_fields(["为期2天，共计12学时"], half_day_hours=HALF_DAY_HOURS).hours == 12


@pytest.mark.parametrize(
    ("lines", "name"),
    [
        (["姓名：张伟"], "张伟"),
        (["姓 名 张 伟"], "张伟"),
        (["姓名：欧阳明华 性别：男"], "欧阳明华"),
        (["姓名:李娜身份证号:450102199001011234"], "李娜"),
        (["张伟同志："], "张伟"),
        (["兹证明王小明，身份证号：450102199001011234，于2024年6月1日参加培训"], "王小明"),
        (["兹证明陈红同志参加培训"], "陈红"),
        (["兹有黄海于2024年3月1日参加培训"], "黄海"),
        (["姓名：", "韦小宝"], "韦小宝"),  # label and value split over two lines
        (["姓名：阿依古丽·买买提"], "阿依古丽·买买提"),
        (["李娜：", "你于2024年5月6日参加了护理管理培训。"], "李娜"),
        (["结业证书", "名 吴斌", "培训项目 急救培训"], "吴斌"),  # OCR lost the 姓 of 姓　　名
        (["结业证书", "姓 农伟敏"], "农伟敏"),
        (["结业证书", "姓  簡名 唐超"], "唐超"),  # noise inside the label
    ],
)
def test_names(lines: list[str], name: str) -> None:
    assert extract_fields(lines, half_day_hours=HALF_DAY_HOURS).person_name == name


def test_no_name_from_org_or_header() -> None:
    f = extract_fields(
        ["培训证书", "广西医学会全体同志", "特发此证"], half_day_hours=HALF_DAY_HOURS
    )
    assert f.person_name is None


@pytest.mark.parametrize(
    ("lines", "organiser"),
    [
        (["主办单位：广西医学会"], "广西医学会"),
        (["举办单位：南宁市第一人民医院"], "南宁市第一人民医院"),
        (["培训机构：广西继续教育中心"], "广西继续教育中心"),
        (["承办单位：A医院", "主办单位：广西护理学会"], "广西护理学会"),  # 主办 preferred
        (["于2024年1月5日参加由广西医学会举办的培训班"], "广西医学会"),
        (["参加了桂林医学院组织的心电图培训"], "桂林医学院"),
        (
            ["张伟同志参加急救培训，共计8学时。", "柳州市人民医院（盖章）", "2024年12月1日"],
            "柳州市人民医院",
        ),
        (["发证单位：广西卫生健康委员会"], "广西卫生健康委员会"),
    ],
)
def test_organisers(lines: list[str], organiser: str) -> None:
    assert extract_fields(lines, half_day_hours=HALF_DAY_HOURS).organiser == organiser


@pytest.mark.parametrize(
    ("lines", "title"),
    [
        (["培训名称：急诊急救能力提升培训班"], "急诊急救能力提升培训班"),
        (["课程名称：《护理质量管理》"], "护理质量管理"),
        (["项目名称：基层卫生适宜技术推广"], "基层卫生适宜技术推广"),
        (["兹证明王小明参加“医院感染防控”专题培训，计2天。"], "医院感染防控专题培训"),
        (
            ["于2024年2月28日参加", "“职业道德与诚信建设专题培训", "学习，共计9学时"],
            "职业道德与诚信建设专题培训",
        ),
        (["参加了由广西护理学会举办的“护理安全管理”学习，"], "护理安全管理"),
        (["参加由广西医学会举办的急诊急救能力提升培训班，共计16学时"], "急诊急救能力提升培训班"),
        (
            ["兹有陈红参加了2024年广西继续医学教育项目培训3个半天。"],
            "2024年广西继续医学教育项目培训",
        ),
        (
            ["结业证书", "2024年全区护理管理研修班", "兹证明张伟同志完成学习"],
            "2024年全区护理管理研修班",
        ),
    ],
)
def test_titles(lines: list[str], title: str) -> None:
    assert extract_fields(lines, half_day_hours=HALF_DAY_HOURS).title == title


@pytest.mark.parametrize(
    ("lines", "title"),
    [
        # issue 17 item 21: full-width brackets are part of the title, never cut in half
        (
            ["培训名称：（第二期）基层医疗卫生人员能力提升培训"],
            "（第二期）基层医疗卫生人员能力提升培训",
        ),
        (
            ["培训名称：基层医疗卫生人员能力提升培训（线上）"],
            "基层医疗卫生人员能力提升培训（线上）",
        ),
        (
            ["培训名称：【2024】基层医疗卫生人员能力提升培训"],
            "【2024】基层医疗卫生人员能力提升培训",
        ),
        (["培训名称：【线上】护理质量管理研修班】"], "【线上】护理质量管理研修班"),  # a stray 】
        (["课程名称：《中华人民共和国民法典》解读"], "《中华人民共和国民法典》解读"),
        (["课程名称：《医疗质量管理（2024版）》解读"], "《医疗质量管理（2024版）》解读"),
        (["培训名称：（急诊急救能力提升培训班）"], "急诊急救能力提升培训班"),  # a wrapper only
        (
            ["于2024年10月8日参加由广西医学会举办的急诊急救能力提升培训班（第二期），共计16学时"],
            "急诊急救能力提升培训班（第二期）",
        ),
        (
            ["于2024年10月8日参加由广西医学会举办的【线上】急诊急救能力提升培训班，共计16学时"],
            "【线上】急诊急救能力提升培训班",
        ),
        (
            ["张伟同志于2024年10月8日参加《医疗质量管理（2024版）》专题培训，共计8学时。"],
            "《医疗质量管理（2024版）》专题培训",
        ),
        (
            ["于2024年10月8日参加“合理用药（基层版）”专题培训，共计8学时。"],
            "合理用药（基层版）专题培训",
        ),
        (
            ["兹证明张伟参加“《中华人民共和国民法典》解读培训”学习，共计1天。"],
            "《中华人民共和国民法典》解读培训",
        ),
        # OCR read the brackets half-width (or NFKC made them so): shown as the certificate has them
        (["培训名称：护理质量管理研修班(第一期)"], "护理质量管理研修班（第一期）"),
    ],
)
def test_titles_with_brackets_are_whole(lines: list[str], title: str) -> None:
    assert extract_fields(lines, half_day_hours=HALF_DAY_HOURS).title == title


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("（第二期）培训班（线上）", "（第二期）培训班（线上）"),
        ("《护理质量管理》", "护理质量管理"),
        ("：《护理质量管理》。", "护理质量管理"),
        ("）培训班（", "培训班"),
        ("【【线上】培训班", "【线上】培训班"),
        ("（）", ""),
        ("", ""),
    ],
)
def test_strip_keeping_brackets(raw: str, kept: str) -> None:
    assert strip_keeping_brackets(raw) == kept


def test_header_and_generic_words_are_not_titles() -> None:
    f = extract_fields(
        ["培训证书", "兹证明赵强参加培训，为期两天。"], half_day_hours=HALF_DAY_HOURS
    )
    assert f.title is None
    assert f.person_name == "赵强"


@pytest.mark.parametrize(
    ("line", "number"),
    [
        ("证书编号：GXYX-2024-00123", "GXYX-2024-00123"),
        ("证书编号: GX2O24OOO1", "GX20240001"),
        ("编号：桂继教〔2024〕第001号", "桂继教〔2024〕第001号"),
        ("备案号：2024-04-01-019", "2024-04-01-019"),
        ("登记号 20240101019", "20240101019"),
        ("No.GX2024001", "GX2024001"),
        ("证书编号：GX2024001 姓名：张伟", "GX2024001"),
    ],
)
def test_numbers(line: str, number: str) -> None:
    assert extract_fields([line], half_day_hours=HALF_DAY_HOURS).number == number


def test_number_needs_a_digit() -> None:
    assert extract_fields(["编号：ABCDEF"], half_day_hours=HALF_DAY_HOURS).number is None


def test_nothing_in_unrelated_text() -> None:
    f = extract_fields(["Hello world", "今天天气很好", ""], half_day_hours=HALF_DAY_HOURS)
    assert f.names() == []
    assert extract_fields([], half_day_hours=HALF_DAY_HOURS).names() == []


def test_noisy_ocr_of_a_whole_certificate() -> None:
    f = extract_fields(
        [
            "培 训 证 书",
            "张 伟 同 志 :",
            "于 2O24 年 1O 月 8 曰 至 1O 月 9 曰 参 加 由 广 西 医 学 会",
            "举 办 的 急 诊 急 救 能 力 提 升 培 训 班 ， 共 计 l6 学 时 ， 特 发 此 证 。",
            "证书编号：ＧＸＹＸ－２０２４－００１２３",
        ],
        half_day_hours=HALF_DAY_HOURS,
    )
    assert f.person_name == "张伟"
    assert (f.started_on, f.completed_on) == (D(2024, 10, 8), D(2024, 10, 9))
    assert f.organiser == "广西医学会"
    assert f.title == "急诊急救能力提升培训班"
    assert f.hours == 16
    assert f.number == "GXYX-2024-00123"


def test_normalise_line() -> None:
    assert normalise_line("学时：１６") == "学时:16"
    assert normalise_line("张 伟") == "张伟"
    assert normalise_line("GX 2024") == "GX 2024"
    assert normalise_line("二〇二四年十一月二十日") == "2024年11月20日"


@pytest.mark.parametrize(
    ("text", "value"),
    [("16", 16), ("1.5", Fraction(3, 2)), ("十", 10), ("十六", 16), ("二十四", 24), ("两", 2)],
)
def test_parse_number(text: str, value: Fraction) -> None:
    assert parse_number(text) == value


def test_parse_number_rejects() -> None:
    assert parse_number("") is None
    assert parse_number("abc") is None


def test_format_hours() -> None:
    assert [exact_hours_text(Fraction(x)) for x in ("16", "12.5", "1.25", "1/3")] == [
        "16",
        "12.5",
        "1.25",
        "1/3",
    ]


# ------------------------------------------------------------------ property tests

dates = st.dates(min_value=D(2000, 1, 1), max_value=D(2099, 12, 1))


@given(
    start=dates, length=st.integers(0, 20), style=st.sampled_from(["cn", "dot", "dash", "cn_md"])
)
def test_ranges_in_every_style(start: date, length: int, style: str) -> None:
    end = start + timedelta(days=length)
    if style == "cn":
        text = f"于{start.year}年{start.month}月{start.day}日至"
        text += f"{end.year}年{end.month}月{end.day}日参加"
    elif style == "dot":
        text = f"时间：{start:%Y.%m.%d}—{end:%Y.%m.%d}"
    elif style == "dash":
        text = f"时间：{start.isoformat()}至{end.isoformat()}"
    else:
        text = f"于{start.year}年{start.month}月{start.day}日至{end.month}月{end.day}日参加"
    f = extract_fields([text], half_day_hours=HALF_DAY_HOURS)
    assert (f.started_on, f.completed_on) == (start, end)


@given(halves=st.integers(1, 400))
def test_hours_in_halves(halves: int) -> None:
    value = Fraction(halves, 2)
    f = extract_fields([f"共计{exact_hours_text(value)}学时"], half_day_hours=HALF_DAY_HOURS)
    assert f.hours == value


fields_strategy = st.builds(
    EvidenceFields,
    title=st.none() | st.text(min_size=1, max_size=20),
    organiser=st.none() | st.text(min_size=1, max_size=20),
    person_name=st.none() | st.text(min_size=1, max_size=6),
    started_on=st.none() | dates,
    completed_on=st.none() | dates,
    hours=st.none() | st.fractions(min_value=0, max_value=1000),
    hours_basis=st.none() | st.sampled_from(["hours", "days", "half_days"]),
    number=st.none() | st.text(min_size=1, max_size=20),
)


@given(fields_strategy)
def test_dict_round_trip(fields: EvidenceFields) -> None:
    data = fields.to_dict()
    assert all(isinstance(v, str) for v in data.values())
    assert set(data) == set(fields.names())
    assert EvidenceFields.from_dict(data) == fields


# ------------------------------------------------------------------ compare_with_claim

CLAIM = {
    "year": 2024,
    "title": "急诊急救能力提升培训班",
    "organiser": "广西医学会",
    "started_on": D(2024, 10, 8),
    "completed_on": D(2024, 10, 9),
    "hours": Fraction(16),
    "claimant_name": "张伟",
}
FOUND = extract_fields(SENTENCE, half_day_hours=HALF_DAY_HOURS)


def test_matching_claim_has_no_flags() -> None:
    assert compare_with_claim(FOUND, **CLAIM) == []  # type: ignore[arg-type]


def test_missing_fields_never_flag() -> None:
    assert compare_with_claim(EvidenceFields(), **CLAIM) == []  # type: ignore[arg-type]


def test_every_flag() -> None:
    claim = {
        **CLAIM,
        "hours": Fraction(24),
        "started_on": D(2024, 10, 7),
        "claimant_name": "李娜",
        "organiser": "南宁市护理学会",
        "title": "护理质量管理",
    }
    found = EvidenceFields(
        title=FOUND.title,
        organiser=FOUND.organiser,
        person_name="张伟",
        started_on=D(2023, 12, 30),
        completed_on=D(2024, 1, 2),
        hours=Fraction(25, 2),
    )
    flags = compare_with_claim(found, **claim)  # type: ignore[arg-type]
    assert flags == [
        Flag("hours", "24", "12.5"),
        Flag("dates_outside_year", "2024", "2023-12-30–2024-01-02"),
        Flag("dates", "2024-10-07–2024-10-09", "2023-12-30–2024-01-02"),
        Flag("name", "李娜", "张伟"),
        Flag("organiser", "南宁市护理学会", "广西医学会"),
        Flag("title", "护理质量管理", "急诊急救能力提升培训班"),
    ]


def test_loose_organiser_and_title() -> None:
    claim = {
        **CLAIM,
        "organiser": "广西 医学会（南宁）",
        "title": "2024年急诊急救能力提升培训班（第一期）",
    }
    found = EvidenceFields(organiser="广西医学会", title="《急诊急救能力提升培训班》")
    assert compare_with_claim(found, **claim) == []  # type: ignore[arg-type]


def test_name_ignores_spaces_and_honorific() -> None:
    found = EvidenceFields(person_name="张 伟同志")
    assert compare_with_claim(found, **CLAIM) == []  # type: ignore[arg-type]
    found = EvidenceFields(person_name="张伟伟")
    assert [f.code for f in compare_with_claim(found, **CLAIM)] == ["name"]  # type: ignore[arg-type]


def test_only_one_found_date_compared() -> None:
    found = EvidenceFields(completed_on=D(2024, 10, 9))
    assert compare_with_claim(found, **CLAIM) == []  # type: ignore[arg-type]
    found = EvidenceFields(completed_on=D(2025, 1, 3))
    codes = [f.code for f in compare_with_claim(found, **CLAIM)]  # type: ignore[arg-type]
    assert codes == ["dates_outside_year", "dates"]


@given(hours=st.fractions(min_value=0, max_value=200))
def test_hours_flag_iff_different(hours: Fraction) -> None:
    flags = compare_with_claim(EvidenceFields(hours=hours), **CLAIM)  # type: ignore[arg-type]
    assert (flags != []) == (hours != 16)


# ------------------------------------------------------------------ whole templates

TEMPLATES = [
    (
        [
            "继续医学教育学分证书",
            "兹证明 张伟 同志参加 2024年广西急诊医学新进展学习班（项目编号：2024-04-01-019），"
            "经考核合格，授予 Ⅰ类学分 8 分。",
            "广西壮族自治区继续医学教育委员会",
            "2024年10月9日",
        ],
        # credits are not hours; the project number holds no date
        EvidenceFields(
            title="2024年广西急诊医学新进展学习班",
            organiser="广西壮族自治区继续医学教育委员会",
            person_name="张伟",
            number="2024-04-01-019",
        ),
    ),
    (
        [
            "学时证明",
            "兹证明我单位 李娜（身份证号：450102199001011234）于2024年3月5日至2024年3月7日参加"
            "“基层卫生人员能力提升”培训，培训时长3天，共计24学时。特此证明。",
            "南宁市第一人民医院（盖章）",
            "2024年3月8日",
        ],
        EvidenceFields(
            title="基层卫生人员能力提升培训",
            organiser="南宁市第一人民医院",
            person_name="李娜",
            started_on=D(2024, 3, 5),
            completed_on=D(2024, 3, 7),
            hours=Fraction(24),
            hours_basis="hours",
        ),
    ),
    (
        [
            "培训证书",
            "姓名 王芳",
            "培训项目 护理安全管理",
            "主办单位 广西护理学会",
            "培训时间 2024年6月1日-2日",
            "学时 12",
            "证书编号 HL20240601",
        ],
        EvidenceFields(
            title="护理安全管理",
            organiser="广西护理学会",
            person_name="王芳",
            started_on=D(2024, 6, 1),
            completed_on=D(2024, 6, 2),
            hours=Fraction(12),
            hours_basis="hours",
            number="HL20240601",
        ),
    ),
    (
        [
            "结业证书",
            "学员陈明在广西医科大学举办的“临床科研方法”研修班学习期满，成绩合格，准予结业。",
            "时间：2024年7月1日至7月5日",
            "广西医科大学继续教育学院",
        ],
        EvidenceFields(
            title="临床科研方法研修班",
            organiser="广西医科大学",
            person_name="陈明",
            started_on=D(2024, 7, 1),
            completed_on=D(2024, 7, 5),
        ),
    ),
    (
        [
            "兹证明黄丽同志于2024年4月10日至12日在桂林参加由广西药学会主办、桂林医学院承办的"
            "“合理用药”培训班，共计20学时。"
        ],
        EvidenceFields(
            title="合理用药培训班",
            organiser="广西药学会",
            person_name="黄丽",
            started_on=D(2024, 4, 10),
            completed_on=D(2024, 4, 12),
            hours=Fraction(20),
            hours_basis="hours",
        ),
    ),
]


@pytest.mark.parametrize(("lines", "expected"), TEMPLATES)
def test_templates(lines: list[str], expected: EvidenceFields) -> None:
    assert extract_fields(lines, half_day_hours=HALF_DAY_HOURS) == expected


noise = st.text(
    alphabet=st.sampled_from(
        list(
            "0123456789OoIl年月日至-—.:：学时天半个共计由举办的参加"
            "同志姓名编号证书培训班广西医学会 "
        )
    ),
    max_size=60,
)


@given(st.lists(noise | st.text(max_size=40), max_size=8))
def test_never_raises_and_stays_plausible(lines: list[str]) -> None:
    f = extract_fields(lines, half_day_hours=HALF_DAY_HOURS)
    if f.hours is not None:
        assert 0 < f.hours <= 1000 * 8  # days convert up to 1000 days x 8 h
    if f.started_on and f.completed_on:
        assert f.started_on <= f.completed_on
    assert EvidenceFields.from_dict(f.to_dict()) == f


def test_seal_fragments_are_not_the_organiser() -> None:
    # read by OCR from a photo: the seal's ring text comes out as pieces of the issuer's name
    f = extract_fields(
        [
            "培训证书",
            "周文同志：",
            "于2024年3月28日至2024年3月31日参加",
            "“传染病防控与突发公共卫生事件应急处置培训”",
            "学习，共计25.5学时，成绩合格，特发此证。",
            "桂林市卫生健康委员会",
            "A 生健， 2024年4月8日",
            "桂林市 委员会",
            "证书编号：GLWJ-2024-481105",
        ],
        half_day_hours=HALF_DAY_HOURS,
    )
    assert f.organiser == "桂林市卫生健康委员会"
    assert f.title == "传染病防控与突发公共卫生事件应急处置培训"
    assert (f.hours, f.number) == (Fraction(51, 2), "GLWJ-2024-481105")


def test_misread_number_label_still_finds_the_code() -> None:
    f = extract_fields(
        ["结业证书", "姓 名 韦杰", "编 告 GXWJ-2024-966217"], half_day_hours=HALF_DAY_HOURS
    )
    assert f.number == "GXWJ-2024-966217"


def test_a_label_never_takes_the_next_label_as_its_value() -> None:
    f = extract_fields(
        ["主办单位", "起止日期 2024-11-07", "项目名称", "学习形式 面授"],
        half_day_hours=HALF_DAY_HOURS,
    )
    assert f.organiser is None and f.title is None
    assert f.started_on == D(2024, 11, 7)


def test_workplace_is_not_the_organiser() -> None:
    f = extract_fields(
        ["姓名：罗华", "工作单位：桂林市第十八中学", "共计8学时"], half_day_hours=HALF_DAY_HOURS
    )
    assert f.organiser is None


def test_letter_signed_by_the_organiser() -> None:
    f = extract_fields(
        [
            "证 明",
            "兹证明吴婷同志于2024年4月24日至2024年4月27日参加了由我单位组织的“职",
            "业教育双师型教师能力提升培训”学习，共计4天，考勤合格。",
            "特此证明。",
            "南宁市教育局",
            "2024年5月5日",
        ],
        half_day_hours=HALF_DAY_HOURS,
    )
    assert (f.organiser, f.person_name) == ("南宁市教育局", "吴婷")
    assert f.title == "职业教育双师型教师能力提升培训"
    assert (f.hours, f.hours_basis) == (32, "days")
    assert (f.started_on, f.completed_on) == (D(2024, 4, 24), D(2024, 4, 27))


def test_register_form() -> None:
    f = extract_fields(
        [
            "专业技术人员继续教育登记表",
            "登记年度：2024年　　　登记编号：GXHL-2024-492208",
            "姓名 胡宁",
            "工作单位 广西医科大学第一附属医院",
            "项目名称 中医药适宜技术推广应用培训班",
            "主办单位 广西护理学会",
            "起止日期 2024-09-03",
            "学习形式 网络学习",
            "获得学时 9",
            "审核意见 情况属实，同意登记。",
            "（盖章）",
            "2024年9月8日",
        ],
        half_day_hours=HALF_DAY_HOURS,
    )
    assert f == EvidenceFields(
        title="中医药适宜技术推广应用培训班",
        organiser="广西护理学会",
        person_name="胡宁",
        started_on=D(2024, 9, 3),
        completed_on=D(2024, 9, 3),
        hours=Fraction(9),
        hours_basis="hours",
        number="GXHL-2024-492208",
    )
