"""Why the accountability records refuse is told in the language of the session: an
investigator working in Arabic reads why a sign-off or a judgement was refused in Arabic, and
the English (logs, the web forms' 422) is what it was."""

from __future__ import annotations

from accountability_support import Case
from typer.testing import CliRunner

from tocsin.cli.main import app


def test_refusals_are_told_in_arabic_and_english(case: Case) -> None:
    runner = CliRunner()
    home = ["--home", str(case.setup.workspace.home)]
    signed = str(case.assessments[0])
    refusals = [
        (["legal", "sign-off", signed, "--as", "amira"], "وليس مسودة", f"assessment {signed} is "),
        (["legal", "sign-off", "99999", "--as", "amira"], "لا تقييم رقمه", "no assessment 99999"),
        (["sanctions", "judge", "99999", "maybe", "--as", "badr"], "احكم على التطابق",
         "judge a match positive (same) or negative (different)"),
        (["sanctions", "judge", "99999", "positive", "--as", "badr"], "لا تطابق رقمه",
         "no match 99999: list them with `tocsin sanctions matches`"),
        (["legal", "assess", "--element", "7(9)(z)-1", "--assessment", "supported",
          "--incident", str(case.incident), "--as", "badr"], "ركن قانوني غير معروف",
         "unknown legal element '7(9)(z)-1': see `tocsin legal elements` for the list"),
        (["legal", "checklist", str(case.incident), "--crime", "7(9)(z)", "--as", "badr"],
         "جريمة غير معروفة", "unknown crime '7(9)(z)'; known: "),
        (["legal", "checklist", str(case.incident), "--as", "nobody"],  # said, not a traceback
         "مستخدم غير معروف", "unknown user 'nobody': add it with `tocsin users add`"),
    ]
    for args, arabic, english in refusals:
        told = runner.invoke(app, [*home, "--lang", "ar", *args])
        assert told.exit_code == 1 and arabic in told.output, told.output
        assert english not in told.output
        plain = runner.invoke(app, [*home, *args])
        assert plain.exit_code == 1 and english in plain.output, plain.output
