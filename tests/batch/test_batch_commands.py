"""`batch --command check` and `batch --command next` agree with `her2dose check` and
`her2dose next` row by row: the same numbers, verdicts and dates, or the same error."""

from __future__ import annotations

import csv
import datetime
import io
import json

from conftest import SHIPPED
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from her2dose.batch import kinds

CHECK = kinds.kind("check")
NEXT = kinds.kind("next")


def _combinations() -> list[dict[str, str]]:
    from her2dose.data import loader as regimens

    book = regimens.load(SHIPPED)
    return [
        {
            "drug": product.id,
            "indication": regimen.indication,
            "schedule": schedule_name,
            "phase": phase,
            "level": level,
        }
        for regimen in book.regimens.values()
        for product in book.products_of(regimen.molecule_id)
        for schedule_name, schedule in regimen.schedules.items()
        for phase in schedule.phases
        for level in ["", *(str(lv.level) for lv in regimen.levels)]
    ]


COMBINATIONS = _combinations()
weights = st.sampled_from(["72 kg", "158.7 lb", "49", "120 kg", "0 kg", "abc", "72 mL", ""])


def csv_text(rows: list[dict[str, str]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue()


def _agree(cli, rows, single_args, batch_kind, columns, rename=None):
    result = cli(
        "batch",
        "-",
        "--command",
        batch_kind.name,
        "--columns",
        "full",
        "--format",
        "jsonl",
        "--regimens",
        str(SHIPPED),
        input=csv_text(rows, ["order", *columns]),
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(rows)
    for row, line in zip(rows, lines, strict=True):
        single = cli(*single_args(row))
        event(f"{batch_kind.name} row {line['status']}")
        if single.exit_code in (0, 1) and single.stdout.startswith("{"):
            assert line["status"] == "ok", line["error"]
            expected = json.loads(single.stdout)
            expected.pop("regimens_file")
            for old, new in (rename or {}).items():
                expected[new] = expected.pop(old)
            got = {k: v for k, v in line.items() if k in expected}
            assert got == expected  # no current time in either: neither shows use-by times
        else:
            assert single.exit_code == 2
            assert line["status"] == "error"
            if "missing option" in single.stderr.lower():  # a required column left empty: the
                continue  # single command cannot be asked; the row failed, as checked above
            printed = [m for m in single.stderr.splitlines() if m.startswith("error: ")]
            assert len(printed) == 1
            assert kinds.column_words(printed[0][len("error: ") :], batch_kind) == line["error"]
    assert result.exit_code == (1 if any(line["status"] == "error" for line in lines) else 0)


def _options(row: dict[str, str], names: list[str], flag=None) -> list[str]:
    return [
        f"--{(flag or {}).get(name, name).replace('_', '-')}={row[name]}"
        for name in names
        if row.get(name)
    ]


CHECK_OPTIONS = ["weight", "ordered_dose", "indication", "level", "schedule", "phase", "tolerance"]
check_rows = st.builds(
    lambda combination, weight, dose, tolerance, drop: {
        **{k: v for k, v in combination.items() if k not in drop},
        "weight": weight,
        "ordered_dose": dose,
        "tolerance": tolerance,
    },
    st.sampled_from(COMBINATIONS),
    weights,
    st.one_of(
        st.builds(lambda n: f"{n} mg", st.decimals(1, 2000, places=1, allow_nan=False)),
        st.sampled_from(["5.4 mg/kg", "3.6 mg/kg", "389 mg", "0 mg", "389", "abc", ""]),
    ),
    st.sampled_from(["", "", "5", "10%", "1", "x"]),
    st.sets(st.sampled_from(["indication", "schedule", "phase", "level"]), max_size=2),
)


def check_args(row: dict[str, str]) -> list[str]:
    options = _options(row, CHECK_OPTIONS, {"ordered_dose": "dose"})
    return ["check", *options, "--format", "json", "--regimens", str(SHIPPED), "--", row["drug"]]


@settings(
    max_examples=40,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a shrink runs the CLI for minutes
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(check_rows, min_size=1, max_size=5))
def test_check_batch_agrees_with_check_row_by_row(cli, rows):
    _agree(cli, rows, check_args, CHECK, ["drug", *CHECK_OPTIONS])


NEXT_OPTIONS = ["last_dose", "on", "weight", "indication", "level", "schedule", "infusion"]
dates = st.dates(min_value=datetime.date(2026, 1, 1), max_value=datetime.date(2026, 9, 30))
next_rows = st.builds(
    lambda combination, weight, last, days, drop: {
        **{k: v for k, v in combination.items() if k not in drop and k != "phase"},
        "weight": weight,
        "last_dose": last.isoformat(),
        "on": (last + datetime.timedelta(days=days)).isoformat() if days >= 0 else "",
    },
    st.sampled_from(COMBINATIONS),
    st.sampled_from(["72 kg", "", "", "158.7 lb", "abc"]),
    dates,
    st.sampled_from([-1, 0, 7, 14, 20, 21, 22, 28, 29, 35, 42, 60]),
    st.sets(st.sampled_from(["indication", "schedule", "level"]), max_size=2),
)


def next_args(row: dict[str, str]) -> list[str]:
    options = _options(row, NEXT_OPTIONS)
    return ["next", *options, "--format", "json", "--regimens", str(SHIPPED), "--", row["drug"]]


@settings(
    max_examples=40,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a shrink runs the CLI for minutes
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(next_rows, min_size=1, max_size=5))
def test_next_batch_agrees_with_next_row_by_row(cli, rows):
    _agree(cli, rows, next_args, NEXT, ["drug", *NEXT_OPTIONS], {"status": "due_status"})


def test_check_reads_the_ordered_dose_column(cli):
    text = (
        "id,drug,weight,indication,ordered_dose\n"
        "1,enhertu,72 kg,breast,388.8 mg\n"
        "2,enhertu,72 kg,breast,316.8 mg\n"
        "3,kadcyla,72 kg,metastatic-breast,400 mg\n"
    )
    result = cli("batch", "-", "--command", "check", "--format", "jsonl", input=text)
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["verdict"] for line in lines] == ["match", "match", "above-maximum"]
    assert [line["level"] for line in lines[:2]] == [0, -1]
    assert lines[2]["difference_mg"] == 140.8  # from the nearest level, 259.2 mg


def test_check_without_ordered_dose_is_refused(cli):
    result = cli("batch", "-", "--command", "check", input="drug,weight\nenhertu,72 kg\n")
    assert result.exit_code == 2
    assert "no 'ordered_dose' column" in result.stderr


def test_next_without_on_uses_today(cli):
    import datetime

    today = datetime.date.today()
    text = f"drug,last_dose,indication\nkadcyla,{today.isoformat()},metastatic-breast\n"
    result = cli("batch", "-", "--command", "next", "--format", "jsonl", input=text)
    line = json.loads(result.stdout)
    assert line["on"] == today.isoformat()
    assert line["due_status"] == "not-yet-due"
    assert line["next_due_date"] is None or line["due_date"] > today.isoformat()
