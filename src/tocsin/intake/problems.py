"""Problems found on arrival are stored in English (the CLI, the logs); the web inbox shows them
in the reader's language. Each known message is a pattern with its parts kept as they are (names,
numbers, file names); an unknown one is shown as stored."""

from __future__ import annotations

import re

ARABIC: list[tuple[re.Pattern[str], str]] = [(re.compile(p), a) for p, a in [
    (r"^(?P<w>.+): no consent \(consent_given is (?P<v>.*)\): nothing else of it is kept$",
     "{w}: لا توجد موافقة (consent_given = {v}): لم يُحفظ شيء آخر منه"),
    (r"^the point (?P<p>\S+ \S+) is outside Sudan: not mapped$",
     "النقطة {p} خارج السودان: لم توضع على الخريطة"),
    (r"^the listed place (?P<n>.+) is not in this workspace's gazetteer$",
     "المكان المختار {n} غير موجود في دليل الأماكن في مساحة العمل هذه"),
    (r"^unknown place name (?P<n>.+): no place in the gazetteer by that name \(any spelling\)$",
     "اسم مكان غير معروف {n}: لا يوجد مكان بهذا الاسم في دليل الأماكن (بأي تهجئة)"),
    (r"^place name (?P<n>.+) is ambiguous: (?P<c>.+)$", "اسم المكان {n} يحتمل أكثر من مكان: {c}"),
    (r"^no location given \(no point, listed place or place name\)$",
     "لم يُحدد مكان (لا نقطة ولا مكان من القائمة ولا اسم)"),
    (r"^date: missing$", "التاريخ: مفقود"),
    (r"^date: expected YYYY-MM-DD, found (?P<v>.+)$", "التاريخ: المتوقع YYYY-MM-DD، والموجود {v}"),
    (r"^date: (?P<d>\S+) is in the future$", "التاريخ: {d} في المستقبل"),
    (r"^(?P<q>\w+): unknown choice\(s\) (?P<v>.+)$", "{q}: خيارات غير معروفة {v}"),
    (r"^(?P<q>\w+): expected a number of people, found (?P<v>.+)$", "{q}: المتوقع عدد أشخاص، والموجود {v}"),
    (r"^(?P<q>\w+): (?P<v>-\d+) is negative$", "{q}: العدد {v} سالب"),
    (r"^(?P<f>.+): the photo is corrupt or not an image \((?P<e>.+)\)$",
     "{f}: الصورة تالفة أو ليست صورة ({e})"),
    (r"^attachment (?P<f>.+): no attachments ZIP was given \(--attachments\)$",
     "المرفق {f}: لم يُعطَ ملف المرفقات المضغوط (--attachments)"),
    (r"^attachment (?P<f>.+): not in the attachments ZIP$", "المرفق {f}: غير موجود في ملف المرفقات المضغوط"),
    (r"^attachment (?P<f>.+): the server has no such file \(HTTP 404\)$",
     "المرفق {f}: لا يوجد هذا الملف على الخادم (HTTP 404)"),
    (r"^attachment (?P<f>.+): named by the answers but not among the submission's _attachments$",
     "المرفق {f}: مذكور في الإجابات لكنه ليس بين مرفقات الإرسال"),
    (r"^point: (?P<e>.+)$", "الموقع: {e}"),
]]


def _one(text: str) -> str:
    for pattern, arabic in ARABIC:
        match = pattern.match(text)
        if match:
            return arabic.format(**match.groupdict())
    return text


def problem_text(text: str, language: str) -> str:
    """``text`` in ``language`` (en: as stored); "; "-joined problems are translated one by one."""
    if language != "ar":
        return text
    return "؛ ".join(_one(part) for part in text.split("; "))
