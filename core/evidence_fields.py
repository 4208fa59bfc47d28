"""Claim fields read from the text of a training certificate (培训证书、结业证书、学时证明).

Pure: text lines in (from a PDF's text layer or from OCR), fields out. OCR text is noisy, so
every line is normalised first (full-width forms, stray spaces, O/0 and l/1 inside numbers,
Chinese-numeral dates). Labelled fields ("姓名：张伟") win over sentence patterns ("张伟同志于…
参加由…举办的…培训班，共计16学时"), and a sentence split over two lines is also read joined.

`compare_with_claim` lists where the certificate disagrees with what the person entered, for
the reviewer; a field the reader did not find never raises a flag.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from fractions import Fraction

HOURS_BASES = ("hours", "days", "half_days")
FLAG_CODES = ("hours", "dates_outside_year", "dates", "name", "organiser", "title")


@dataclass(frozen=True, slots=True)
class EvidenceFields:
    title: str | None = None  # 培训/课程/项目名称
    organiser: str | None = None  # 主办单位/举办单位/培训机构, else the issuer (seal) line
    person_name: str | None = None  # 姓名 / "XXX同志"
    started_on: date | None = None
    completed_on: date | None = None
    hours: Fraction | None = None  # 学时, or days / half days converted
    hours_basis: str | None = None  # "hours" | "days" | "half_days"
    number: str | None = None  # 证书编号/编号/备案号/登记号

    def names(self) -> list[str]:
        """The names of the fields that were found, in declaration order."""
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]

    def to_dict(self) -> dict[str, str]:
        """JSON-safe: found fields only, dates ISO, hours as "12.5" (or "1/3" if not decimal)."""
        out: dict[str, str] = {}
        for name in self.names():
            value = getattr(self, name)
            if isinstance(value, date):
                out[name] = value.isoformat()
            elif isinstance(value, Fraction):
                out[name] = exact_hours_text(value)
            else:
                out[name] = str(value)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, str]) -> EvidenceFields:
        def text(key: str) -> str | None:
            value = data.get(key)
            return str(value) if value not in (None, "") else None

        def day(key: str) -> date | None:
            value = text(key)
            return date.fromisoformat(value) if value else None

        hours = text("hours")
        return cls(
            title=text("title"),
            organiser=text("organiser"),
            person_name=text("person_name"),
            started_on=day("started_on"),
            completed_on=day("completed_on"),
            hours=Fraction(hours) if hours else None,
            hours_basis=text("hours_basis"),
            number=text("number"),
        )


@dataclass(frozen=True, slots=True)
class Flag:
    code: str  # one of FLAG_CODES
    entered: str
    found: str


def exact_hours_text(value: Fraction) -> str:
    """16 -> "16", 25/2 -> "12.5"; a value with no finite decimal stays a fraction ("1/3").
    Unlike core.hours.format_hours (half hours only), exact for any value: readings round-trip."""
    if value.denominator == 1:
        return str(value.numerator)
    d = value.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d != 1:
        return f"{value.numerator}/{value.denominator}"
    text = f"{float(value):.6f}".rstrip("0").rstrip(".")
    return text if Fraction(text) == value else f"{value.numerator}/{value.denominator}"


# ------------------------------------------------------------------ normalisation

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{CJK}]")
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "O": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUM = "零〇一二两三四五六七八九十百"
NUM = rf"(?:\d+(?:\.\d+)?|[{_CN_NUM}]+)"


def cjk_count(text: str) -> int:
    return len(_CJK_RE.findall(text))


def parse_number(text: str) -> Fraction | None:
    """'16', '1.5', '十六', '二十四', '两', '一百二十' -> a Fraction (None if not a number)."""
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return Fraction(text)
    total, current = 0, 0
    for char in text:
        if char in _CN_DIGITS:
            current = _CN_DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return Fraction(total + current)


def _cn_year(text: str) -> str:
    return "".join(str(_CN_DIGITS[c]) for c in text)


def _cn_small(text: str) -> str:
    value = parse_number(text)
    return str(value) if value is not None else text


_CN_DATE = re.compile(
    r"([零〇○O一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月(?:([一二三四五六七八九十]{1,3})日)?"
)
_CN_MONTH_DAY = re.compile(
    r"(?<![\d年])(十[一二]?|[一二三四五六七八九])月([一二三四五六七八九十]{1,3})([日号])"
)
_CN_END_DAY = re.compile(r"([至到~\-—])([一二三四五六七八九十]{1,3})([日号])")
_DIGIT_RUN = re.compile(r"(?<![A-Za-z])[0-9OoIl]*[0-9][0-9OoIl]*(?![A-Za-z])")
_DIGIT_FIX = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1"})


def normalise_line(line: str) -> str:
    """Undo the usual OCR and layout noise in one line (see the module docstring)."""
    text = unicodedata.normalize("NFKC", line).replace("\u3000", " ")
    text = text.replace("∶", ":").replace("﹕", ":")
    text = re.sub(r"\s+", " ", text).strip()
    # a space only survives between two Latin letters or digits ("GX 2024"); "张 伟" -> "张伟"
    text = re.sub(r"(?<![A-Za-z0-9]) | (?![A-Za-z0-9])", "", text)
    text = _CN_DATE.sub(
        lambda m: (
            f"{_cn_year(m[1])}年{_cn_small(m[2])}月" + (f"{_cn_small(m[3])}日" if m[3] else "")
        ),
        text,
    )
    # the end of a range in Chinese numerals: "至六月二日", "至二日"
    text = _CN_MONTH_DAY.sub(lambda m: f"{_cn_small(m[1])}月{_cn_small(m[2])}{m[3]}", text)
    text = _CN_END_DAY.sub(lambda m: f"{m[1]}{_cn_small(m[2])}{m[3]}", text)
    text = _DIGIT_RUN.sub(lambda m: m[0].translate(_DIGIT_FIX), text)
    text = re.sub(r"(?<=\d)曰", "日", text)  # 曰 for 日 after a day number
    return text


# ------------------------------------------------------------------ dates

_DATE = r"(?<!\d)((?:19|20)\d{2})[年./\-](\d{1,2})[月./\-](\d{1,2})(?!\d)[日号]?"
_SEP = r"(?:至|到|~|[-—–―‐−一－]{1,3})"  # OCR reads one long dash as "--" or "一"
_END = (
    r"(?:(?<!\d)((?:19|20)\d{2})[年./\-](\d{1,2})[月./\-](\d{1,2})(?!\d)[日号]?"
    r"|(?<!\d)(\d{1,2})[月./\-](\d{1,2})(?!\d)[日号]?"
    r"|(?<!\d)(\d{1,2})[日号]"
    r"|(?<!\d)(\d{1,2})(?![\d.\-/年月]))"
)
_DATE_RE = re.compile(_DATE)
_RANGE_RE = re.compile(_DATE + _SEP + _END)
_ISSUE_LABEL = re.compile(r"发证|颁发日期|颁证|签发|落款|打印|出具日期|生效|有效期")
# a lone date counts as the training day only in such a line (a bare date is the issue date)
_TRAINING_CONTEXT = re.compile(r"于|参加|参训|时间|起止|培训日期|学习日期|举办日期|参训日期|自|从")
_START_LABEL = re.compile(r"(?:开始|起始|开班)(?:时间|日期)")
_END_LABEL = re.compile(r"(?:结束|结业|截止|完成|结课)(?:时间|日期)")


def _make_date(y: str | int, m: str | int, d: str | int) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def _range_from(match: re.Match[str]) -> tuple[date, date] | None:
    start = _make_date(match[1], match[2], match[3])
    if start is None:
        return None
    g = match.groups()
    if g[3]:
        end = _make_date(g[3], g[4], g[5])
    elif g[6]:
        end = _make_date(start.year, g[6], g[7])
        if end is not None and end < start:  # "12月30日至1月2日" crosses the new year
            end = _make_date(start.year + 1, g[6], g[7])
    else:
        end = _make_date(start.year, start.month, g[8] or g[9])
    if end is None or end < start or (end - start).days > 366:
        return None
    return start, end


def _find_dates(lines: Sequence[str], joined: str) -> tuple[date | None, date | None]:
    for text in (*lines, joined):
        if _ISSUE_LABEL.search(text) and text is not joined:
            continue
        for match in _RANGE_RE.finditer(text):
            found = _range_from(match)
            if found is not None:
                return found
    start = end = None
    for line in lines:
        single = _DATE_RE.search(line)
        if single is None:
            continue
        value = _make_date(single[1], single[2], single[3])
        if value is None:
            continue
        if _START_LABEL.search(line[: single.start()]) and start is None:
            start = value
        elif _END_LABEL.search(line[: single.start()]) and end is None:
            end = value
    if start or end:
        return start, end
    for line in lines:
        if _ISSUE_LABEL.search(line):
            continue
        single = _DATE_RE.search(line)
        if single and _TRAINING_CONTEXT.search(line):
            value = _make_date(single[1], single[2], single[3])
            if value is not None:
                return value, value
    return None, None


# ------------------------------------------------------------------ hours

_HOUR_UNIT = r"(?:个)?(?:学时|课时|小时)"
_HOURS_TOTAL = re.compile(
    rf"(?:共计|合计|总计|累计|总学时|获得|授予|共|计|为)[:：]?({NUM}){_HOUR_UNIT}"
)
_HOURS_LABEL = re.compile(
    rf"(?:学时数|学时|课时|培训学时|继续教育学时)(?:[:为]({NUM})|(\d+(?:\.\d+)?)(?![\d年./\-]))"
)
_HOURS_PLAIN = re.compile(rf"({NUM}){_HOUR_UNIT}")
_HALF_DAYS = re.compile(rf"({NUM})个半[天日]")
_DAYS = re.compile(rf"(?<!第)({NUM})(?:个)?(?:工作)?天(半)?")
_HALF_DAY = re.compile(rf"(?<![\d{_CN_NUM}个.])半[天日]")
MAX_HOURS = Fraction(1000)


def _plausible(value: Fraction | None) -> bool:
    return value is not None and 0 < value <= MAX_HOURS


def _find_hours(
    texts: Sequence[str], half_day_hours: Fraction | None
) -> tuple[Fraction | None, str | None]:
    for pattern in (_HOURS_TOTAL, _HOURS_LABEL):
        for text in texts:
            for match in pattern.finditer(text):
                value = parse_number(match[1] or match[2])
                if _plausible(value):
                    return value, "hours"
    plain = [
        value
        for text in texts
        for match in _HOURS_PLAIN.finditer(text)
        if _plausible(value := parse_number(match[1]))
    ]
    if plain:
        return max(v for v in plain if v is not None), "hours"  # parts add up to the largest
    for text in texts:
        halves = _HALF_DAYS.search(text)
        if halves and _plausible(count := parse_number(halves[1])):
            assert count is not None
            return (count * half_day_hours if half_day_hours is not None else None), "half_days"
        whole = _DAYS.search(text)
        if whole and _plausible(count := parse_number(whole[1])):
            assert count is not None
            days = count + (Fraction(1, 2) if whole[2] else 0)
            return (days * 2 * half_day_hours if half_day_hours is not None else None), "days"
        if _HALF_DAY.search(text):
            return half_day_hours, "half_days"
    return None, None


# ------------------------------------------------------------------ labelled values

# Labels that end a value when two fields share one line ("姓名:张伟性别:男").
_LABELS = (
    "姓名|性别|身份证号码|身份证号|身份证|证件号码|证件号|工作单位|单位|职称|职务|科室|部门|学号|电话|"
    "出生日期|出生|证书编号|编号|备案号|登记号|学时|学分|培训时间|培训日期|时间|日期|主办单位|举办单位|"
    "承办单位|培训机构|培训单位|培训名称|课程名称|项目名称|培训项目|培训地点|地点|发证单位|发证日期|"
    "起止日期|起止时间|学习形式|审核意见|获得学时|专业技术职务|登记年度|登记编号"
)
_NEXT_LABEL = re.compile(rf"(?:{_LABELS}):?")
_TRIM = " :：,，。.;；、'\"“”‘’《》「」()（）[]【】-—_"


# brackets a title may hold: trimmed from its ends only when they pair with nothing there
_OPENERS = {"(": ")", "（": "）", "【": "】", "《": "》", "「": "」", "[": "]", "〔": "〕"}
_CLOSERS = {close: open_ for open_, close in _OPENERS.items()}
_TRIM_NOT_BRACKETS = "".join(ch for ch in _TRIM if ch not in _OPENERS and ch not in _CLOSERS)


def _bracket_pairs(text: str) -> dict[int, int]:
    """Index of each opening bracket -> index of the bracket that closes it."""
    stack: list[int] = []
    pairs: dict[int, int] = {}
    for index, ch in enumerate(text):
        if ch in _OPENERS:
            stack.append(index)
        elif ch in _CLOSERS:
            if stack and text[stack[-1]] == _CLOSERS[ch]:
                pairs[stack.pop()] = index
            else:
                stack.clear()  # a stray closer: nothing before it pairs across it
    return pairs


def strip_keeping_brackets(text: str) -> str:
    """Trim like `_TRIM`, but a bracket only when it is unpaired or wraps the whole text:
    "（第二期）培训班（线上）" stays whole, "《护理质量管理》" loses its wrapper, a stray
    "）" at either end goes."""
    while True:
        text = text.strip(_TRIM_NOT_BRACKETS)
        if not text:
            return text
        pairs = _bracket_pairs(text)
        last = len(text) - 1
        paired = set(pairs) | set(pairs.values())
        if last > 0 and pairs.get(0) == last:
            text = text[1:-1]  # one pair around everything: a wrapper, not part of it
        elif (text[0] in _OPENERS or text[0] in _CLOSERS) and 0 not in paired:
            text = text[1:]
        elif (text[last] in _OPENERS or text[last] in _CLOSERS) and last not in paired:
            text = text[:-1]
        else:
            return text


def _labelled(
    lines: Sequence[str], labels: str, *, colon: bool = True, keep_brackets: bool = False
) -> str | None:
    """The value after the first of `labels` (in order of preference) that has one; a label
    alone on its line takes the next line (a layout split in two). `keep_brackets`: a
    bracket that is part of the value (a title's "（第二期）") is not trimmed."""
    trim = strip_keeping_brackets if keep_brackets else (lambda v: v.strip(_TRIM))
    colon_re = ":" if colon else ":?"
    for label in labels.split("|"):
        # a table cell has no colon: a specific label (4+ characters) opening the line will do
        bare = f"|^{label}" if colon and len(label) >= 4 else ""
        pattern = re.compile(rf"(?:(?<![{CJK}]){label}{colon_re}{bare})(.*)")
        for index, line in enumerate(lines):
            match = pattern.search(line)
            if match is None:
                continue
            value = match[1]
            if not trim(value) and index + 1 < len(lines):
                value = lines[index + 1]
                if _NEXT_LABEL.match(value):  # the next line is another label, not a value
                    continue
            cut = _NEXT_LABEL.search(value, 1)
            if cut is not None:
                value = value[: cut.start()]
            value = trim(value)
            if value:
                return value
    return None


# ------------------------------------------------------------------ person

_NAME_STOP = re.compile(
    r"培训|证书|证明|学时|单位|学会|协会|医院|本人|同志们|全体|中心|委员|学院|大学|参加|特发|兹|经|考核"
)
_NAME_PREFIX = re.compile(
    r"^(?:兹证明|兹有|今有|证明|学员|授予|特授予|经审核|经考核|该|我单位|本单位|我院|本院|我校|"
    r"我中心|我会|职工|员工)+"
)
_NAME = rf"[{CJK}·]"


def _clean_name(raw: str | None) -> str | None:
    if not raw:
        return None
    name = _NAME_PREFIX.sub("", raw.strip(_TRIM))
    name = re.sub(r"(?:同志|先生|女士|同学)$", "", name)
    if "·" in name:
        ok = 3 <= len(name) <= 16 and re.fullmatch(f"{_NAME}+", name) is not None
    else:
        ok = 2 <= len(name) <= 4 and re.fullmatch(f"[{CJK}]+", name) is not None
    return name if ok and not _NAME_STOP.search(name) else None


def _find_name(lines: Sequence[str]) -> str | None:
    labelled = _labelled(lines, "姓名|学员姓名|学员", colon=False)
    if labelled:
        match = re.match(f"{_NAME}+", labelled)
        name = _clean_name(match[0] if match else None)
        if name:
            return name
    for line in lines:
        # a spaced-out label "姓　　名" whose other half OCR missed: "名 吴斌"
        match = re.fullmatch(rf"[^\d:]{{0,2}}?名:?({_NAME}{{2,4}})", line) or re.fullmatch(
            rf"姓:?({_NAME}{{2,4}})", line
        )
        if match:
            name = _clean_name(match[1])
            if name:
                return name
    for line in lines:
        for match in re.finditer(rf"({_NAME}{{2,16}})(?:同志|同学|学员)", line):
            name = _clean_name(match[1])
            if name:
                return name
        for pattern in (
            rf"兹(?:证明|有)[:]?({_NAME}{{2,16}}?)(?:同志|先生|女士)?"
            r"(?:[,，、(]|性别|身份证|于|在|参加|自|已|$)",
            rf"(?:学员|学生)[:]?({_NAME}{{2,4}}?)(?:同志)?(?:[,，、(]|性别|身份证|于|在|参加|自|已|$)",
        ):
            match = re.search(pattern, line)
            if match:
                name = _clean_name(match[1])
                if name:
                    return name
    for index, line in enumerate(lines[:-1]):
        # "李娜：" alone on a line, then "你于2024年…" (the letter form)
        match = re.fullmatch(f"({_NAME}{{2,16}}):", line)
        if match and re.match(r"你|您|于|在|参加|自|兹", lines[index + 1]):
            name = _clean_name(match[1])
            if name and not _NEXT_LABEL.fullmatch(line):
                return name
    return None


# ------------------------------------------------------------------ organiser

_ORG_SUFFIX = re.compile(
    r"(?:委员会|学会|协会|医院|学院|大学|学校|中心|研究院|研究所|卫健委|局|厅|院|会|部|处|公司|集团|"
    r"站|所|办公室|委|社|基地|联合会|分会)$"
)
_ORG_LABELS = (
    "主办单位|举办单位|主办方|培训机构|培训单位|组织单位|实施单位|发证单位|发证机构|颁发单位|颁证单位|"
    "主办|承办单位"
)
# lines about the person, not the organiser ("工作单位：南宁市第一人民医院")
_OTHER_LABEL = re.compile(r"^(?:工作单位|单位|所在单位|单位名称|科室|部门|学校|就读)[:]?")
_NOT_ORG = re.compile(r"证书|证明|同志|特发|参加|学时|姓名|编号|专用章$")


# "由我单位组织": the organiser is the one who signs below, not these words
_SELF = re.compile(r"^(?:我|本|该)(?:单位|院|校|会|中心|局|厅|委|部|处|所|站|公司)$")


def _clean_org(raw: str | None) -> str | None:
    if not raw:
        return None
    org = re.sub(r"[(（]?(?:盖章|公章|章)[)）]?$", "", raw.strip(_TRIM)).strip(_TRIM)
    return org if 2 <= len(org) <= 60 and not _SELF.match(org) else None


def _find_organiser(lines: Sequence[str], joined: str) -> str | None:
    org = _clean_org(_labelled(lines, _ORG_LABELS))
    if org:
        return org
    for pattern in (
        r"由([^,，。;；:]{2,50}?)(?:联合举办|共同举办|主办|举办|组织|承办|开展|实施)",
        rf"(?:参加(?:了)?|在)([^,，。;；:由在]{{2,50}}?(?:{_ORG_SUFFIX.pattern[3:-2]}))"
        r"(?:联合举办|举办|主办|组织)的",
    ):
        for text in (*lines, joined):
            match = re.search(pattern, text)
            if match:
                org = _clean_org(match[1])
                if org and not _DATE_RE.search(org):
                    return org
    # the issuer above the seal: the last line that is nothing but an organisation's name;
    # the seal's own ring of text reads as fragments of that name, which do not count
    candidates = []
    for line in lines:
        if _OTHER_LABEL.match(line):
            continue
        candidate = _clean_org(re.sub(rf"^(?:{_ORG_LABELS}|发证机关|盖章)[:]?", "", line))
        if (
            candidate
            and 4 <= len(candidate) <= 40
            and not re.search(r"\d", candidate)
            and _ORG_SUFFIX.search(candidate)
            and not _NOT_ORG.search(candidate)
            and cjk_count(candidate) >= len(candidate) - 4
        ):
            candidates.append(candidate)
    whole = [
        c
        for c in candidates
        if not any(len(d) > len(c) and set(c.replace(" ", "")) <= set(d) for d in candidates)
    ]
    return whole[-1] if whole else None


# ------------------------------------------------------------------ title

_TITLE_LABELS = (
    "培训名称|培训班名称|课程名称|项目名称|培训项目|培训主题|会议名称|班级名称|班次名称|培训内容|学习内容|"
    "课程|项目"
)
# what a training's name ends with, after a quoted topic: "“合理用药”专题培训班"
_TRAINING_WORD = r"(?:培训班|研修班|进修班|学习班|提高班|培训|讲座|论坛|研讨会|会议)"
_TITLE_SUFFIX = re.compile(
    r"(?:培训班|研修班|进修班|学习班|专题班|提高班|训练营|培训课程|培训|讲座|论坛|年会|会议|研讨会|"
    r"沙龙|课程|工作坊|项目)$"
)
_HEADER = re.compile(
    r"^(?:继续教育)?(?:培训|结业|学时|合格|学习|岗位培训|继续医学教育)?(?:证书|证明|证)"
    r"(?:书)?$"
)
_TITLE_END = (
    rf"(?=[,，。;；]|共计|共|合计|累计|计\d|学时|并|期间|为期|学习期满|期满|经考核|考核|成绩|$"
    rf"|{NUM}(?:个)?(?:半天|天|学时|课时|小时))"
)
_GENERIC_TITLE = re.compile(r"^(?:培训|学习|会议|课程|项目|培训学习|继续教育|继续医学教育)$")


def _clean_title(raw: str | None) -> str | None:
    if not raw:
        return None
    # quotation marks go; brackets that belong to the title ("（第二期）", "【线上】",
    # "《民法典》解读") stay whole, only a wrapper or a stray one at an end is trimmed
    title = strip_keeping_brackets(re.sub(r"[“”\"]", "", raw))
    title = re.sub(r"^(?:的|了)", "", title)
    title = re.sub(r"(?:的)?学习$", "", title) if len(title) > 6 else title
    title = strip_keeping_brackets(title)
    if not 2 <= len(title) <= 80 or _HEADER.match(title) or _GENERIC_TITLE.match(title):
        return None
    if _DATE_RE.search(title):
        return None
    if cjk_count(title):  # NFKC made the certificate's （） half-width: print them as printed
        title = title.replace("(", "（").replace(")", "）")
    return title


def _find_title(lines: Sequence[str], joined: str) -> str | None:
    title = _clean_title(_labelled(lines, _TITLE_LABELS, keep_brackets=True))
    if title:
        return title
    for text in (*lines, joined):
        match = re.search(
            rf"参加[^《“\"]{{0,60}}?([《“\"])([^》”\"]{{2,80}})([》”\"])"
            rf"([{CJK}]{{0,8}}?{_TRAINING_WORD})?",
            text,
        )
        if match:
            # the marks stay for _clean_title: quotes go, a book title's 《》 are part of the
            # name when more follows ("《民法典》解读", also inside quotes)
            title = _clean_title(match[1] + match[2] + match[3] + (match[4] or ""))
            if title:
                return title
    for pattern in (
        rf"(?:联合举办|共同举办|举办|主办|组织|承办|开展|实施)的(.{{2,80}}?){_TITLE_END}",
        rf"参加(?:了)?(?!由)(.{{2,80}}?){_TITLE_END}",
    ):
        for text in (*lines, joined):
            match = re.search(pattern, text)
            if match:
                candidate = match[1]
                if "由" in candidate or "举办" in candidate:
                    continue
                title = _clean_title(candidate)
                if title:
                    return title
    for line in lines:
        if _TITLE_SUFFIX.search(line) and not re.search(r"同志|参加|特发|兹|:", line):
            title = _clean_title(line)
            if title:
                return title
    return None


# ------------------------------------------------------------------ number

_CODE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2,8}[-_]?(?:19|20)\d{2}[-_]?\d{3,8}(?![A-Za-z0-9])")
_NUMBER_LABELS = (
    "证书编号|证书号码|证书号|证号|编号|登记编号|备案编号|备案号|登记号|项目编号|No.|No|NO.|NO|№"
)


def _find_number(lines: Sequence[str]) -> str | None:
    for label in _NUMBER_LABELS.split("|"):
        pattern = re.compile(
            # a short label must not be the end of another word (项目编号 is no 编号)
            (rf"(?<![A-Za-z{CJK}])" if len(label) <= 2 or label.isascii() else "")
            + rf"{re.escape(label)}[:.]?"
            rf"([A-Za-z0-9〔〕\[\]()\-_/{CJK}]{{3,40}})"
        )
        for line in lines:
            match = pattern.search(line)
            if match is None:
                continue
            value = match[1]
            cut = _NEXT_LABEL.search(value, 1)
            if cut is not None:
                value = value[: cut.start()]
            value = value.strip(_TRIM)
            if len(value) >= 3 and re.search(r"\d", value):
                return value
    # the label misread ("编告"): a code of letters, a year and a serial is a number anyway
    for line in lines:
        match = _CODE.search(line)
        if match:
            return match[0]
    return None


# ------------------------------------------------------------------ entry point

_NUMBER_VALUE = r"[:.]?[A-Za-z0-9〔〕\[\]\-_/]*\d[A-Za-z0-9〔〕\[\]\-_/第号字]*"
_NUMBER_IN_BRACKETS = re.compile(r"\([^()]*(?:编号|备案号|登记号|证号|身份证|证件)[^()]*\)")
_NUMBER_WITH_LABEL = re.compile(
    rf"(?:证书编号|项目编号|登记编号|备案编号|编号|备案号|登记号|证号|身份证号码|身份证号|证件号码|"
    rf"No\.?|NO\.?)"
    rf"{_NUMBER_VALUE}"
)
_ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")


def _without_numbers(line: str) -> str:
    line = _NUMBER_IN_BRACKETS.sub("", line)
    line = _NUMBER_WITH_LABEL.sub("", line)
    return _ID_NUMBER.sub("", line)


def extract_fields(lines: Sequence[str], *, half_day_hours: Fraction | None) -> EvidenceFields:
    """The claim fields found in a certificate's text lines (in reading order). Days convert to
    hours at 2 × half_day_hours a day; with half_day_hours None they are not converted."""
    normal = [n for n in (normalise_line(line) for line in lines) if n]
    # numbers (certificate, project, ID) hide dates and digits that are none: read the other
    # fields without them
    plain = [n for n in (_without_numbers(line) for line in normal) if n]
    joined = "".join(plain)  # a sentence split over two lines reads whole again
    started_on, completed_on = _find_dates(plain, joined)
    hours, basis = _find_hours([*plain, joined], half_day_hours)
    return EvidenceFields(
        title=_find_title(plain, joined),
        organiser=_find_organiser(plain, joined),
        person_name=_find_name(normal),
        started_on=started_on,
        completed_on=completed_on,
        hours=hours,
        hours_basis=basis if hours is not None else None,
        number=_find_number(normal),
    )


# ------------------------------------------------------------------ comparison

_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def _norm(text: str) -> str:
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text)).casefold()


def _same_loose(entered: str, found: str) -> bool:
    a, b = _norm(entered), _norm(found)
    return a in b or b in a


def _span(start: date | None, end: date | None) -> str:
    parts = [d.isoformat() for d in (start, end) if d is not None]
    if len(parts) == 2 and parts[0] == parts[1]:
        return parts[0]
    return "–".join(parts) if start and end else (parts[0] if parts else "")


def _dates(values: Iterable[date | None]) -> list[date]:
    return [d for d in values if d is not None]


def compare_with_claim(
    fields: EvidenceFields,
    *,
    year: int,
    title: str,
    organiser: str,
    started_on: date,
    completed_on: date,
    hours: Fraction,
    claimant_name: str,
) -> list[Flag]:
    """Where the certificate disagrees with the claim (for the reviewer, never a verdict)."""
    flags: list[Flag] = []
    if fields.hours is not None and fields.hours != hours:
        flags.append(Flag("hours", exact_hours_text(hours), exact_hours_text(fields.hours)))
    found_dates = _dates((fields.started_on, fields.completed_on))
    found_span = _span(fields.started_on, fields.completed_on)
    if any(d.year != year for d in found_dates):
        flags.append(Flag("dates_outside_year", str(year), found_span))
    if (fields.started_on is not None and fields.started_on != started_on) or (
        fields.completed_on is not None and fields.completed_on != completed_on
    ):
        flags.append(Flag("dates", _span(started_on, completed_on), found_span))
    if fields.person_name is not None:
        found_name = re.sub(r"(?:同志|先生|女士)$", "", _norm(fields.person_name))
        if found_name != _norm(claimant_name):
            flags.append(Flag("name", claimant_name, fields.person_name))
    if fields.organiser is not None and not _same_loose(organiser, fields.organiser):
        flags.append(Flag("organiser", organiser, fields.organiser))
    if fields.title is not None and not _same_loose(title, fields.title):
        flags.append(Flag("title", title, fields.title))
    return flags
