"""Tocsin's incident-report form, as XLSForm data (survey, choices, settings), Arabic first.

The form is defined here, in code, so the parser and the form cannot drift: both use the same
question names (``QUESTIONS``). ``write_xlsform`` writes the .xlsx that Kobo and ODK Central
take; tests convert it with pyxform to an XForm and check it. Rules the form enforces:

- consent first: a required acknowledgement; no other question is asked without it;
- the sexual-violence and child-violations module is asked only when such harm is reported and
  only with its own informed consent, following the Murad Code: no survivor's name (a pseudonym),
  what help is wanted, whether a referral may be made.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

FORM_ID = "tocsin_incident_report"
FORM_VERSION = "2026120101"
AR, EN = "label::Arabic (ar)", "label::English (en)"
HINT_AR, HINT_EN = "hint::Arabic (ar)", "hint::English (en)"
PLACES_FILE = "places.csv"

# What happened: the taxonomy's categories (tocsin/schema/taxonomy.yaml) with field labels.
CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "attack_on_civilians": (
        "هجوم على مدنيين (قتل، ضرب، إطلاق نار)",
        "Attack on civilians (killing, beating, shooting)",
    ),
    "remote_violence": ("قصف مدفعي أو جوي أو بالمسيّرات", "Shelling, air or drone strike"),
    "sexual_violence": ("عنف جنسي", "Sexual violence"),
    "looting_destruction": ("نهب أو تدمير أو حرق", "Looting, destruction or burning"),
    "abduction": ("اختطاف أو إخفاء قسري", "Abduction or forced disappearance"),
    "siege_related": ("حصار أو نقاط تفتيش أو منع المساعدات", "Siege, checkpoints or aid blocked"),
    "battle": ("اشتباكات بين قوات مسلحة", "Fighting between armed forces"),
    "territory_change": ("سيطرة قوة على المنطقة", "A force took control of the area"),
    "protest": ("احتجاج سلمي", "Peaceful protest"),
    "riot": ("أعمال شغب", "Riot"),
    "other": ("شيء آخر", "Something else"),
}
# Siege signs: what the siege tracker reads from reports.
SIGN_LABELS: dict[str, tuple[str, str]] = {
    "roads_closed": ("الطرق مغلقة", "Roads closed"),
    "water_cut": ("انقطاع المياه", "Water cut"),
    "power_cut": ("انقطاع الكهرباء", "Power cut"),
    "network_cut": ("انقطاع الاتصالات أو الإنترنت", "Phone or internet cut"),
    "markets_closed": ("الأسواق مغلقة", "Markets closed"),
    "shelling": ("قصف", "Shelling"),
    "burning": ("حرق منازل أو قرى", "Burning of homes or villages"),
}
GROUP_LABELS: dict[str, tuple[str, str]] = {
    "saf": ("القوات المسلحة السودانية", "Sudanese Armed Forces"),
    "rsf": ("قوات الدعم السريع", "Rapid Support Forces"),
    "allied_militia": ("ميليشيا متحالفة", "Allied militia"),
    "armed_movement": ("حركة مسلحة", "Armed movement"),
    "unknown": ("غير معروف", "Unknown"),
    "other": ("أخرى", "Other"),
}
HARM_KINDS = {
    "killed": ("قتلى", "killed"),
    "injured": ("جرحى", "injured"),
    "abducted": ("مختطفون", "abducted"),
}
PEOPLE = {
    "men": ("رجال", "men"),
    "women": ("نساء", "women"),
    "boys": ("أولاد (أقل من 18)", "boys (under 18)"),
    "girls": ("بنات (أقل من 18)", "girls (under 18)"),
}
SV_KINDS: dict[str, tuple[str, str]] = {
    "rape": ("اغتصاب", "Rape"),
    "sexual_assault": ("اعتداء جنسي آخر", "Other sexual assault"),
    "sexual_slavery": ("احتجاز لأغراض جنسية", "Held for sexual purposes"),
    "child_killed_injured": ("قتل طفل أو إصابته", "A child killed or injured"),
    "child_recruited": ("تجنيد طفل", "A child recruited or used"),
    "child_abducted": ("اختطاف طفل", "A child abducted"),
    "attack_school_hospital": ("هجوم على مدرسة أو مستشفى", "Attack on a school or hospital"),
}
HELP_LABELS: dict[str, tuple[str, str]] = {
    "medical": ("رعاية طبية", "Medical care"),
    "psychosocial": ("دعم نفسي", "Psychosocial support"),
    "legal": ("مساعدة قانونية", "Legal help"),
    "protection": ("حماية أو مكان آمن", "Protection or a safe place"),
    "none": ("لا شيء الآن", "Nothing now"),
}
YES_NO = {"yes": ("نعم", "Yes"), "no": ("لا", "No")}

CONSENT = "${consent_given} = 'yes'"
SENSITIVE_ASKED = "selected(${categories}, 'sexual_violence') or ${child_harmed} = 'yes'"
SV_CONSENT = "${sv_consent} = 'yes'"


def _q(type_: str, name: str, ar: str, en: str, **extra: Any) -> dict[str, Any]:
    row = {"type": type_, "name": name, AR: ar, EN: en}
    row.update({k: v for k, v in extra.items() if v is not None})
    return row


def _begin(name: str, ar: str, en: str, relevant: str | None = CONSENT) -> dict[str, Any]:
    return _q("begin_group", name, ar, en, relevant=relevant)


END = {"type": "end_group"}


def survey() -> list[dict[str, Any]]:
    harm = []
    for kind, (kind_ar, kind_en) in HARM_KINDS.items():
        for who, (who_ar, who_en) in PEOPLE.items():
            harm.append(
                _q(
                    "integer",
                    f"{kind}_{who}",
                    f"{kind_ar}: {who_ar}",
                    f"People {kind_en}: {who_en}",
                    constraint=". >= 0 and . < 100000",
                    **{
                        "constraint_message::Arabic (ar)": "عدد من 0 فأكثر",
                        "constraint_message::English (en)": "a number from 0",
                    },
                )
            )
    return [
        {"type": "start", "name": "start"},
        {"type": "end", "name": "end"},
        _begin("consent", "الموافقة", "Consent", relevant=None),
        _q(
            "note",
            "consent_text",
            "هذا البلاغ يذهب إلى منظمتك فقط. لا تكتب اسمك أو اسم أي ناجٍ أو ناجية إلا إذا طُلب. "
            "يمكنك التوقف في أي وقت. هل توافق على إرسال هذا البلاغ؟",
            "This report goes to your organisation only. Do not write your name or any survivor's "
            "name unless asked. You can stop at any time. Do you agree to send this report?",
        ),
        _q("select_one yes_no", "consent_given", "أوافق", "I agree", required="yes"),
        END,
        _begin("monitor", "عنك", "About you"),
        _q(
            "text",
            "pseudonym",
            "اسمك الرمزي (كما اتفقت عليه مع منظمتك)",
            "Your code name (as agreed with your organisation)",
            required="yes",
        ),
        _q("text", "reporter_name", "اسمك (اختياري، يُحفظ مشفراً)", "Your name (optional, kept encrypted)"),
        _q(
            "text",
            "reporter_phone",
            "رقم هاتفك (اختياري، يُحفظ مشفراً)",
            "Your phone (optional, kept encrypted)",
        ),
        END,
        _begin("what", "ماذا حدث", "What happened"),
        _q("select_multiple categories", "categories", "ماذا حدث؟", "What happened?", required="yes"),
        _q("select_multiple signs", "siege_signs", "علامات الحصار التي رأيتها", "Signs of siege you saw"),
        _q("select_one yes_no", "child_harmed", "هل تعرض طفل للأذى؟", "Was a child harmed?", required="yes"),
        _q(
            "text",
            "description",
            "صف ما حدث (بدون أسماء الضحايا)",
            "Describe what happened (no victims' names)",
        ),
        END,
        _begin("where", "أين", "Where"),
        _q(
            "select_one location_methods",
            "location_method",
            "كيف تحدد المكان؟",
            "How do you give the place?",
            required="yes",
        ),
        _q("geopoint", "point", "سجّل الموقع", "Record the location", relevant="${location_method} = 'gps'"),
        _q(
            f"select_one_from_file {PLACES_FILE}",
            "place",
            "اختر المكان من القائمة",
            "Choose the place from the list",
            relevant="${location_method} = 'list'",
        ),
        _q(
            "text",
            "place_name",
            "اكتب اسم المكان",
            "Write the place's name",
            relevant="${location_method} = 'name' or ${place} = 'not_listed'",
        ),
        END,
        _begin("when", "متى", "When"),
        _q(
            "date",
            "date",
            "تاريخ الحادث",
            "Date of the incident",
            required="yes",
            constraint=". <= today()",
            **{
                "constraint_message::Arabic (ar)": "لا يمكن أن يكون في المستقبل",
                "constraint_message::English (en)": "cannot be in the future",
            },
        ),
        _q("select_one time_of_day", "time_of_day", "وقت الحادث", "Time of day"),
        END,
        _begin("who", "من", "Who"),
        _q("select_one groups", "group", "الجهة المسؤولة", "Who was responsible"),
        _q("text", "uniforms", "الزي أو العلامات", "Uniforms or insignia"),
        _q("text", "vehicles", "المركبات", "Vehicles"),
        _q("text", "names_used", "أسماء أو ألقاب سُمعت", "Names or nicknames heard"),
        END,
        _begin("harmed", "الأشخاص المتضررون", "People harmed"),
        *harm,
        END,
        _begin("media", "صور وتسجيلات", "Photos and recordings"),
        _q(
            "note",
            "media_warning",
            "لا تصور وجوه الناجين. لا تعرّض نفسك للخطر من أجل صورة.",
            "Do not photograph survivors' faces. Do not put yourself at risk for a picture.",
        ),
        _q("image", "photo_1", "صورة", "Photo"),
        _q("image", "photo_2", "صورة أخرى", "Another photo"),
        _q("video", "video", "فيديو", "Video"),
        _q("audio", "audio", "تسجيل صوتي", "Audio recording"),
        END,
        _begin("safety", "سلامتك", "Your safety"),
        _q("select_one yes_no", "reporter_safe", "هل أنت في أمان الآن؟", "Are you safe now?", required="yes"),
        _q(
            "text",
            "safety_note",
            "ما الذي تحتاجه لتبقى آمناً؟",
            "What do you need to stay safe?",
            relevant="${reporter_safe} = 'no'",
        ),
        END,
        _begin(
            "sv",
            "وحدة العنف الجنسي والانتهاكات ضد الأطفال",
            "Sexual violence and violations against children",
            relevant=f"{CONSENT} and ({SENSITIVE_ASKED})",
        ),
        _q(
            "note",
            "sv_intro",
            "هذه الأسئلة حساسة. تُرى فقط من المستجيبين المعينين في منظمتك. "
            "لا تكتب اسم الناجي أو الناجية أبداً. "
            "اسأل فقط إذا كان ذلك آمناً وبموافقة الناجي أو الناجية (أو ولي الأمر للأطفال).",
            "These questions are sensitive. Only your organisation's designated responders see them. Never "
            "write the survivor's name. Ask only if it is safe and with the survivor's consent (a guardian's "
            "for a child).",
        ),
        _q(
            "select_one yes_no",
            "sv_consent",
            "هل وافق الناجي أو الناجية على هذه الأسئلة بعد الشرح؟",
            "Did the survivor agree to these questions after they were explained?",
            required="yes",
        ),
        _q(
            "select_multiple sv_kinds",
            "sv_kinds",
            "ما الذي حدث؟",
            "What happened?",
            relevant=SV_CONSENT,
            required="yes",
        ),
        _q(
            "text",
            "survivor_pseudonym",
            "اسم رمزي للناجي أو الناجية (ليس الاسم الحقيقي)",
            "A pseudonym for the survivor (not the real name)",
            relevant=SV_CONSENT,
            required="yes",
        ),
        _q("select_one age_groups", "survivor_age_group", "الفئة العمرية", "Age group", relevant=SV_CONSENT),
        _q("select_one sexes", "survivor_sex", "الجنس", "Sex", relevant=SV_CONSENT),
        _q(
            "select_multiple help",
            "help_wanted",
            "ما المساعدة المطلوبة؟",
            "What help is wanted?",
            relevant=SV_CONSENT,
            required="yes",
        ),
        _q(
            "select_one yes_no",
            "referral_consent",
            "هل يوافق الناجي أو الناجية على الإحالة إلى خدمة؟",
            "May a referral to a service be made?",
            relevant=SV_CONSENT,
            required="yes",
        ),
        _q(
            "text",
            "survivor_contact",
            "طريقة آمنة للتواصل (اختياري، تُحفظ مشفرة)",
            "A safe way to make contact (optional, kept encrypted)",
            relevant="${referral_consent} = 'yes'",
        ),
        END,
    ]


def _choices(list_name: str, labels: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    return [{"list_name": list_name, "name": name, AR: ar, EN: en} for name, (ar, en) in labels.items()]


def choices() -> list[dict[str, Any]]:
    return [
        *_choices("yes_no", YES_NO),
        *_choices("categories", CATEGORY_LABELS),
        *_choices("signs", SIGN_LABELS),
        *_choices("groups", GROUP_LABELS),
        *_choices(
            "location_methods",
            {
                "gps": ("الموقع بالـ GPS", "GPS location"),
                "list": ("من قائمة الأماكن", "From the list of places"),
                "name": ("أكتب الاسم", "I will write the name"),
            },
        ),
        *_choices(
            "time_of_day",
            {
                "night": ("ليلاً", "Night"),
                "morning": ("صباحاً", "Morning"),
                "afternoon": ("بعد الظهر", "Afternoon"),
                "evening": ("مساءً", "Evening"),
            },
        ),
        *_choices("sv_kinds", SV_KINDS),
        *_choices(
            "age_groups",
            {
                "child": ("طفل أو طفلة (أقل من 18)", "Child (under 18)"),
                "adult": ("بالغ", "Adult"),
                "unknown": ("غير معروف", "Unknown"),
            },
        ),
        *_choices(
            "sexes",
            {
                "female": ("أنثى", "Female"),
                "male": ("ذكر", "Male"),
                "unknown": ("لا أريد القول", "Prefer not to say"),
            },
        ),
        *_choices("help", HELP_LABELS),
    ]


def settings() -> dict[str, str]:
    return {
        "form_title": "بلاغ ميداني — توكسين",
        "form_id": FORM_ID,
        "version": FORM_VERSION,
        "default_language": "Arabic (ar)",
        "instance_name": "concat(${pseudonym}, ' ', ${date})",
    }


def question_types() -> dict[str, str]:
    """Question name -> XLSForm type, for the parser (groups and notes left out)."""
    return {
        row["name"]: row["type"]
        for row in survey()
        if row["type"] not in ("begin_group", "end_group", "note")
    }


def _sheet(book: Any, title: str, rows: list[dict[str, Any]]) -> None:
    sheet = book.create_sheet(title)
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(c, "") for c in columns])


def write_xlsform(path: Path) -> Path:
    """The form as an XLSForm workbook (survey, choices, settings)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    _sheet(book, "survey", survey())
    _sheet(book, "choices", choices())
    _sheet(book, "settings", [settings()])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def write_places(path: Path, places: Iterable[dict[str, Any]]) -> int:
    """The place list for ``select_one_from_file``: name (the gazetteer's place id), Arabic and
    English labels with the locality so homonyms can be told apart, and "not listed"."""
    count = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", AR, EN])
        for place in places:
            where = f" ({place['admin2']})" if place.get("admin2") else ""
            name_ar = place.get("name_ar") or place["name"]
            writer.writerow([place["place_id"], f"{name_ar}{where}", f"{place['name']}{where}"])
            count += 1
        writer.writerow(["not_listed", "غير موجود في القائمة", "Not in the list"])
    return count
