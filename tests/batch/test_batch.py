"""her2dose batch: same numbers as plan, no lost rows, safe CSV, all-or-nothing output."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from conftest import SHIPPED
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from her2dose import render
from her2dose.batch import run as batch
from her2dose.model.plan import PlanRequest
from her2dose.model.records import fields

OPTIONS = ["drug", "weight", "indication", "product", "level", "phase", "schedule", "infusion"]


def csv_text(rows: list[dict[str, str]], columns: list[str], delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue()


def read_csv(text: str, delimiter: str = ",") -> list[dict[str, str | float]]:
    """Rows of batch CSV output; unquoted cells (numbers) come back as floats."""
    reader = csv.reader(
        io.StringIO(text.removeprefix("\ufeff"), newline=""),
        delimiter=delimiter,
        quoting=csv.QUOTE_NONNUMERIC,
    )
    header = next(reader)
    return [dict(zip(header, cells, strict=True)) for cells in reader]


PLAN = batch.kinds.kind("plan")


def plan_columns(book) -> list[str]:
    import datetime

    return batch.kinds.full_columns(PLAN, book, datetime.date(2026, 3, 2))


# --- batch equals plan ------------------------------------------------------------------


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
weights = st.one_of(
    st.builds(  # plausible weights, as typed
        lambda number, unit: f"{number}{unit}",
        st.decimals(min_value=35, max_value=200, places=2, allow_nan=False),
        st.sampled_from([" kg", "kg", " lb", "", " KG", " kgs"]),
    ),
    st.builds(  # anything, in any unit
        lambda number, unit: f"{number}{unit}",
        st.decimals(min_value=-1, max_value=1000, places=1, allow_nan=False),
        st.sampled_from([" kg", " lb", " g", "", " mL", " units"]),
    ),
    st.sampled_from(["72 kg", "158.7 lb", "0 kg", "abc", "+72 kg", "1e2 kg", "72.50 kg"]),
)
# Options later issues added to PlanRequest, given as batch cells by name (issue 4).
LATER = ["baseline_weight", "round_to_vial_pct", "prepared_at", "open_vial_mg", "open_vial_date"]
TIMES = ["2026-03-02 09:30", "2026-03-29 01:30", "2026-10-25 01:30"]
requests = st.builds(
    lambda combination, weight, infusion, drop, spoil, later, prepared_at: {
        **{k: v for k, v in combination.items() if k not in drop},
        "weight": weight,
        "infusion": infusion,
        "prepared_at": prepared_at,  # else use-by times count from each run's now
        **spoil,
        **later,
    },
    st.sampled_from(COMBINATIONS),
    weights,
    st.sampled_from(["", "first", "subsequent", "Subsequent", "last"]),
    st.sets(st.sampled_from(["indication", "schedule", "phase", "level"]), max_size=2),
    st.sampled_from(
        [
            {},
            {},
            {},
            {"drug": "trastuzumab"},
            {"product": "ogivri"},
            {"drug": "enhertoo"},
            {"level": "-3"},
            {"phase": "loading"},
            {"indication": "Breast"},
            {"drug": "T-DXd"},
        ]
    ),
    st.sampled_from(
        [
            {},
            {},
            {"baseline_weight": "80 kg"},
            {"round_to_vial_pct": "10"},
            {"prepared_at": "2026-13-40"},
            {"open_vial_mg": "100 mg", "open_vial_date": "2026-03-01 10:00"},
        ]
    ),
    st.sampled_from(TIMES),
)
# More patients of a row's combination, later in the same batch: batch works out and
# renders a combination's part once, and keeps its preparation and use-by times per
# time; another patient or time of the combination must get its own numbers.
more_patients = st.lists(st.tuples(st.integers(0, 4), weights, st.sampled_from(TIMES)), max_size=3)


def plan_args(row: dict[str, str]) -> list[str]:
    """`plan` with the row's options, each given only when its cell is not empty."""
    options = [
        f"--{name.replace('_', '-')}={row[name]}"
        for name in [*OPTIONS[1:], *LATER]
        if row.get(name)
    ]
    return ["plan", *options, "--format", "json", "--regimens", str(SHIPPED), "--", row["drug"]]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(requests, min_size=1, max_size=5), more=more_patients)
def test_batch_gives_what_plan_gives_for_every_row(cli, rows, more):
    rows = rows + [
        {**rows[i % len(rows)], "weight": weight, "prepared_at": time} for i, weight, time in more
    ]
    result = cli(
        "batch",
        "--columns",
        "full",
        "-",
        "--format",
        "jsonl",
        "--regimens",
        str(SHIPPED),
        input=csv_text(rows, ["order", *OPTIONS, *LATER]),
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(rows)
    for row, line in zip(rows, lines, strict=True):
        event(f"row {line['status']}")
        single = cli(*plan_args(row))
        if single.exit_code == 0:
            assert line["status"] == "ok"
            expected = json.loads(single.stdout)
            expected.pop("regimens_file")  # batch rows carry the SHA-256, not the path
            assert {k: v for k, v in line.items() if k in expected} == expected
        else:
            assert line["status"] == "error"
            printed = [m for m in single.stderr.splitlines() if m.startswith("error: ")]
            words = batch.kinds.column_words(printed[0][len("error: ") :], PLAN)
            assert [f"error: {words}"] == [f"error: {line['error']}"]
    assert result.exit_code == (1 if any(line["status"] == "error" for line in lines) else 0)


def test_csv_output_has_the_plans_numbers_and_texts(cli, book, mdv_regimens):
    rows = [
        {"drug": "kadcyla", "weight": "68", "indication": "metastatic-breast", "level": "-1"},
        {
            "drug": "ogivri",
            "weight": "80 kg",
            "indication": "adjuvant-breast",
            "schedule": "q3w",
            "phase": "maintenance",
        },
    ]
    # OGIVRI's 420 mg vial with an in-use time (a test copy): the kept remainder's column
    result = cli(
        "batch",
        "--columns",
        "full",
        "-",
        "--regimens",
        str(mdv_regimens),
        input=csv_text(rows, OPTIONS),
    )
    got = read_csv(result.stdout)
    assert list(got[0]) == ["status", "error", *plan_columns(book)]
    single = json.loads(cli(*plan_args(rows[0])).stdout)
    kadcyla = got[0]
    assert kadcyla["dose_mg"] == single["dose_mg"] == 204  # 3.0 mg/kg x 68 kg
    assert kadcyla["level"] == -1 and kadcyla["next_level"] == -2
    assert kadcyla["vials"] == "1x160mg + 1x100mg"
    assert kadcyla["notes"] == " | ".join(single["notes"])
    assert kadcyla["reminders"].startswith("boxed warning: WARNING: HEPATOTOXICITY")
    assert kadcyla["leftover_kept"] == ""
    assert got[1]["vials"] == "1x420mg + 1x150mg"  # 6 mg/kg x 80 kg = 480 mg
    assert got[1]["leftover_kept"].startswith("28 days")


# --- no row lost ------------------------------------------------------------------------


def test_bad_rows_in_the_middle_keep_every_good_row_and_exit_1(cli, tmp_path):
    rows = [
        {"id": "1", "drug": "enhertu", "weight": "72 kg", "indication": "breast"},
        {"id": "2", "drug": "enhertoo", "weight": "72 kg", "indication": "breast"},
        {"id": "3", "drug": "kadcyla", "weight": "72 mL", "indication": "early-breast"},
        {"id": "4", "drug": "kadcyla", "weight": "60 kg"},
        {"id": "5", "drug": "margenza", "weight": "70 kg"},
    ]
    source = tmp_path / "orders.csv"
    source.write_text(csv_text(rows, ["id", *OPTIONS]), encoding="utf-8")
    out = tmp_path / "plans.csv"
    result = cli(
        "batch", "--columns", "full", str(source), "-o", str(out), "--regimens", str(SHIPPED)
    )
    assert result.exit_code == 1
    got = read_csv(out.read_text(encoding="utf-8"))
    assert [r["id"] for r in got] == ["1", "2", "3", "4", "5"]
    assert [r["status"] for r in got] == ["ok", "error", "error", "error", "ok"]
    assert got[0]["dose_mg"] == 388.8 and got[4]["dose_mg"] == 1050  # 15 mg/kg x 70 kg
    assert got[1]["error"].startswith("unknown drug 'enhertoo'")
    assert got[2]["error"] == (
        "weight '72 mL' is a volume, expected a mass such as '72 kg' or '158 lb'"
    )
    assert "choose one with column 'indication'" in got[3]["error"]
    assert all(r["dose_mg"] == "" for r in got[1:4])
    assert "batch: 5 rows, 2 ok, 3 failed" in result.stderr
    assert "error: row 2: unknown drug 'enhertoo'" in result.stderr


def test_every_row_ok_exits_0_and_the_summary_goes_to_stderr(cli):
    rows = [{"drug": "enhertu", "weight": "72 kg", "indication": "breast"}] * 3
    result = cli("batch", "--columns", "full", "-", input=csv_text(rows, OPTIONS))
    assert result.exit_code == 0
    assert result.stderr.startswith("batch: 3 rows, 3 ok, 0 failed in ")
    assert "batch:" not in result.stdout


def test_quiet_prints_nothing_on_stderr(cli):
    rows = [{"drug": "enhertoo", "weight": "72 kg"}]
    result = cli("batch", "--columns", "full", "-", "--quiet", input=csv_text(rows, OPTIONS))
    assert result.exit_code == 1
    assert result.stderr == ""


def test_blank_rows_are_skipped_and_counted(cli):
    text = "drug,weight,indication\n\nenhertu,72 kg,breast\n,,\n"
    result = cli("batch", "--columns", "full", "-", input=text)
    assert result.exit_code == 0
    assert len(read_csv(result.stdout)) == 1
    assert "1 rows, 1 ok, 0 failed, 2 blank rows skipped" in result.stderr


def test_a_row_with_more_cells_than_the_header_fails_alone(cli):
    text = "drug,weight,indication\nenhertu,72 kg,breast,extra\nenhertu,70 kg,breast\n"
    result = cli("batch", "--columns", "full", "-", input=text)
    got = read_csv(result.stdout)
    assert [r["status"] for r in got] == ["error", "ok"]
    assert got[0]["error"] == "the row has 4 cells but the header has 3 columns"


# --- reading ----------------------------------------------------------------------------


def test_excel_utf8_bom_and_semicolons_are_read_and_mirrored(cli):
    text = "\ufeffOrder;Drug;Weight;Indication;Note\nA-1;kadcyla;68 kg;metastatic-breast;été\n"
    result = cli("batch", "--columns", "full", "-", input=text)
    assert result.exit_code == 0
    assert result.stdout.startswith('\ufeff"Order";"status";"error";')
    got = read_csv(result.stdout, delimiter=";")
    assert got[0]["Order"] == "A-1" and got[0]["Note"] == "été"
    assert got[0]["dose_mg"] == 244.8  # 3.6 mg/kg x 68 kg


def test_without_bom_the_output_has_none(cli):
    result = cli(
        "batch", "--columns", "full", "-", input="drug,weight,indication\nenhertu,72 kg,breast\n"
    )
    assert result.stdout.startswith('"status","error",')


def test_headers_are_case_insensitive_and_other_columns_pass_through_in_place(cli, book):
    text = "MRN,DRUG,Weight,order id,INDICATION,Level,ward\nM1,enhertu,72 kg,O1,gastric,-1,5B\n"
    result = cli("batch", "--columns", "full", "-", input=text)
    got = read_csv(result.stdout)
    assert list(got[0]) == ["MRN", "status", "error", *plan_columns(book), "order id", "ward"]
    assert (got[0]["MRN"], got[0]["order id"], got[0]["ward"]) == ("M1", "O1", "5B")
    assert got[0]["dose_mg"] == 388.8  # level -1 of gastric: 5.4 mg/kg x 72 kg


def test_an_empty_cell_is_an_option_not_given(cli):
    text = "drug,weight,indication,infusion,level\nmargenza,70 kg,,,\n"
    got = read_csv(cli("batch", "--columns", "full", "-", input=text).stdout)
    assert got[0]["status"] == "ok"
    assert got[0]["infusion"] == "first"
    assert "infusion time is for a first infusion" in got[0]["notes"]


def test_json_lines_in_and_out(cli):
    lines = [
        {
            "id": 1,
            "drug": "enhertu",
            "weight": 72,
            "indication": "breast",
            "level": -1,
            "tags": ["a", "b"],
        },
        {"id": 2, "drug": "kadcyla", "weight": "68 kg", "indication": None},
    ]
    text = "".join(json.dumps(line) + "\n" for line in lines) + "\nnot json\n"
    result = cli("batch", "--columns", "full", "-", input=text)
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["status"] for o in out] == ["ok", "error", "error"]
    assert out[0]["id"] == 1 and out[0]["tags"] == ["a", "b"]
    assert list(out[0])[:3] == ["id", "status", "error"] and list(out[0])[-1] == "tags"
    assert out[0]["dose_mg"] == 316.8 and out[0]["weight_input"] == "72"
    assert out[1]["dose_mg"] is None
    assert out[2]["error"].startswith("the line is not a JSON object")


def test_json_lines_to_csv_takes_its_columns_from_the_first_line(cli):
    text = (
        '{"id": 1, "drug": "margenza", "weight": "70 kg"}\n'
        '{"id": 2, "drug": "margenza", "weight": "71 kg", "extra": 1}\n'
        '{"drug": "margenza", "weight": "72 kg"}\n'
    )
    result = cli("batch", "--columns", "full", "-", "--format", "csv", input=text)
    got = read_csv(result.stdout)
    assert [r["status"] for r in got] == ["ok", "error", "ok"]
    assert got[1]["error"].startswith("key 'extra' is not in the first line")
    assert got[2]["id"] == ""


def test_an_option_that_is_not_text_or_a_number_fails_its_row(cli):
    text = '{"drug": "margenza", "weight": true}\n'
    out = json.loads(cli("batch", "--columns", "full", "-", input=text).stdout)
    assert out["error"] == "weight must be text or a number, not true"


def test_input_that_is_not_utf8_is_refused_before_anything_is_written(cli, tmp_path):
    source = tmp_path / "latin1.csv"
    source.write_bytes("drug,weight,note\nkadcyla,68,caf\xe9\n".encode("latin-1"))
    out = tmp_path / "out.csv"
    result = cli("batch", "--columns", "full", str(source), "-o", str(out))
    assert result.exit_code == 2
    assert "not UTF-8" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the input is empty"),
        ("\n\n", "the input is empty"),
        ("drug,indication\nenhertu,breast\n", "no 'weight' column"),
        ("drug,weight,Drug\nenhertu,72,x\n", "columns 'drug' and 'Drug' name the same thing"),
        ("drug,weight,dose_mg\nenhertu,72,1\n", "input column 'dose_mg' has the name of an output"),
        ("drug,weight,Status\nenhertu,72,1\n", "input column 'Status' has the name of an output"),
    ],
)
def test_unusable_input_exits_2_and_writes_nothing(cli, text, message):
    result = cli("batch", "--columns", "full", "-", input=text)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr


def test_input_format_can_be_forced(cli):
    result = cli(
        "batch", "--columns", "full", "-", "--input-format", "jsonl", input="drug,weight\nx,1\n"
    )
    assert result.exit_code == 1  # each line fails its own row: none is a JSON object
    assert "row 1: the line is not a JSON object" in result.stderr


def test_output_format_follows_the_output_file_extension(cli, tmp_path):
    out = tmp_path / "plans.jsonl"
    cli("batch", "--columns", "full", "-", "-o", str(out), input="drug,weight\nmargenza,70 kg\n")
    assert json.loads(out.read_text(encoding="utf-8"))["dose_mg"] == 1050


# --- stdin, stdout, files -----------------------------------------------------------------


def test_stdin_to_stdout(cli):
    result = cli(
        "batch", "--columns", "full", "-", "-o", "-", input="drug,weight\nmargenza,70 kg\n"
    )
    assert result.exit_code == 0
    assert read_csv(result.stdout)[0]["dose_mg"] == 1050
    assert result.stdout_bytes.endswith(b"\r\n")  # RFC 4180 line ends


def test_a_file_to_a_file(cli, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("drug,weight\nmargenza,70 kg\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = cli("batch", "--columns", "full", str(source), "-o", str(out))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert read_csv(out.read_text(encoding="utf-8"))[0]["dose_mg"] == 1050
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]


def test_refuses_to_write_over_its_input(cli, tmp_path):
    source = tmp_path / "orders.csv"
    text = "drug,weight\nmargenza,70 kg\n"
    source.write_text(text, encoding="utf-8")
    for target in (str(source), f"{tmp_path}/./orders.csv"):
        result = cli("batch", "--columns", "full", str(source), "-o", target)
        assert result.exit_code == 2
        assert "is the input file" in result.stderr
    link = tmp_path / "link.csv"
    link.symlink_to(source)
    assert cli("batch", "--columns", "full", str(source), "-o", str(link)).exit_code == 2
    assert source.read_text(encoding="utf-8") == text


def test_an_output_that_is_a_folder_is_refused(cli, tmp_path):
    result = cli(
        "batch",
        "--columns",
        "full",
        "-",
        "-o",
        str(tmp_path),
        input="drug,weight\nmargenza,70 kg\n",
    )
    assert result.exit_code == 2
    assert "is a folder" in result.stderr


def test_a_missing_input_file_exits_2(cli, tmp_path):
    result = cli("batch", "--columns", "full", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2
    assert "cannot read" in result.stderr


def test_an_invalid_regimens_file_exits_3_and_writes_nothing(cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = not [valid", encoding="utf-8")
    source = tmp_path / "in.csv"
    source.write_text("drug,weight\nmargenza,70 kg\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = cli("batch", "--columns", "full", str(source), "-o", str(out), "--regimens", str(bad))
    assert result.exit_code == 3
    assert not out.exists()


# --- nothing half-written ----------------------------------------------------------------


def _orders(tmp_path: Path, count: int = 10) -> Path:
    source = tmp_path / "orders.csv"
    rows = [{"drug": "margenza", "weight": f"{60 + i} kg"} for i in range(count)]
    source.write_text(csv_text(rows, ["drug", "weight"]), encoding="utf-8")
    return source


def _fail_on_call(number: int, error: BaseException):
    calls = {"n": 0}
    real = batch._answer_row

    def plan_row(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == number:
            raise error
        return real(*args, **kwargs)

    return plan_row


def test_an_interrupted_run_leaves_no_output_file(cli, tmp_path, monkeypatch):
    source = _orders(tmp_path)
    out = tmp_path / "plans.csv"
    monkeypatch.setattr(batch, "_answer_row", _fail_on_call(5, KeyboardInterrupt()))
    result = cli("batch", "--columns", "full", str(source), "-o", str(out))
    assert result.exit_code == 130
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.csv"]  # no temp file left


def test_a_crash_mid_file_keeps_the_previous_output_untouched(cli, tmp_path, monkeypatch):
    source = _orders(tmp_path)
    out = tmp_path / "plans.csv"
    out.write_text("yesterday's plans\n", encoding="utf-8")
    monkeypatch.delenv("HER2DOSE_DEBUG", raising=False)

    def broken_write(self, row, *rest):
        if row.number == 4:
            raise RuntimeError("disk on fire")
        return real_write(self, row, *rest)

    real_write = batch.CsvWriter.write
    monkeypatch.setattr(batch.CsvWriter, "write", broken_write)
    result = cli("batch", "--columns", "full", str(source), "-o", str(out))
    assert result.exit_code == 2
    assert "internal error (RuntimeError: disk on fire)" in result.stderr
    assert out.read_text(encoding="utf-8") == "yesterday's plans\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.csv", "plans.csv"]


def test_a_bug_in_one_row_fails_that_row_only(cli, monkeypatch):
    monkeypatch.delenv("HER2DOSE_DEBUG", raising=False)
    from her2dose.commands import planner as plan_module

    real = plan_module.Planner.plan

    def flaky(self, request):
        if request.weight == "61 kg":
            raise ZeroDivisionError("boom")
        return real(self, request)

    monkeypatch.setattr(plan_module.Planner, "plan", flaky)
    text = "drug,weight\nmargenza,60 kg\nmargenza,61 kg\nmargenza,62 kg\n"
    got = read_csv(cli("batch", "--columns", "full", "-", input=text).stdout)
    assert [r["status"] for r in got] == ["ok", "error", "ok"]
    assert got[1]["error"].startswith("internal error (ZeroDivisionError: boom)")


# --- spreadsheet safety -------------------------------------------------------------------


def test_formula_injection_cells_are_neutralised_and_numbers_stay_numbers(cli):
    notes = ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR", "-1", "+72", "3.5", "plain"]
    rows = [
        {"note": note, "drug": "enhertu", "weight": "+72 kg", "indication": "breast", "level": "-1"}
        for note in notes
    ]
    result = cli(
        "batch", "--columns", "full", "-", input=csv_text(rows, ["note", *OPTIONS, "=HEADER"])
    )
    got = read_csv(result.stdout)
    assert [r["note"] for r in got] == [
        "'=1+2",
        "'+SUM(A1)",
        "'-2+3",
        "'@cmd",
        "'\tTAB",
        "'\rCR",
        "-1",
        "+72",
        "3.5",
        "plain",
    ]
    assert "'=HEADER" in got[0]
    assert got[0]["weight_input"] == "'+72 kg"
    assert got[0]["level"] == -1 and got[0]["next_level"] == -2  # numbers, unquoted
    assert ",-1," in result.stdout


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=x", "'=x"),
        ("+x", "'+x"),
        ("-x", "'-x"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-1", "-1"),
        ("+1.5", "+1.5"),
        ("-.5e3", "-.5e3"),
        ("-1-1", "'-1-1"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_neutralise(text, expected):
    assert render.neutralise(text) == expected


texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
scalars = st.one_of(
    texts,
    st.integers(-(10**6), 10**6),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
)
values = st.one_of(
    scalars,
    st.lists(texts, max_size=3),
    st.lists(scalars, max_size=3),
    st.dictionaries(texts, scalars, max_size=2),
)


@settings(max_examples=150)
@given(
    records=st.lists(
        st.fixed_dictionaries({"a": values, "b": values, "c": values}), min_size=1, max_size=4
    ),
    passthrough=st.lists(texts, min_size=1, max_size=4),
    delimiter=st.sampled_from([",", ";"]),
)
def test_the_csv_writer_writes_what_csv_writer_writes(records, passthrough, delimiter):
    columns = ["id", "drug", "weight"]
    layout = batch.Layout(columns, ["a", "b", "c"])
    ours, theirs = io.StringIO(), io.StringIO()
    writer = batch.CsvWriter(ours, layout, ["a", "b", "c"], delimiter, bom=False)
    reference = csv.writer(theirs, delimiter=delimiter, quoting=csv.QUOTE_NONNUMERIC)
    reference.writerow([render.neutralise(c) for c in ["id", "status", "error", "a", "b", "c"]])
    for number, (record, cell) in enumerate(zip(records, passthrough * 4, strict=False), start=1):
        row = batch.Row(number, [("id", cell)], [], {})
        writer.write(row, record, None)
        # in the writer's column order, whatever the record's key order
        cells = [render.csv_cell(key, record[key]) for key in "abc"]
        reference.writerow([render.neutralise(cell), "ok", "", *cells])
    writer.write(batch.Row(9, [("id", "x")], [], {}), None, "=bad")
    reference.writerow(["x", "error", "'=bad", "", "", ""])
    assert ours.getvalue() == theirs.getvalue()


def test_the_csv_writer_matches_csv_writer_on_real_plans(book):
    from her2dose.commands.planner import Planner

    planner = Planner(book)
    columns = batch.plan_columns(planner)
    layout = batch.Layout(OPTIONS, columns)
    ours, theirs = io.StringIO(), io.StringIO()
    writer = batch.CsvWriter(ours, layout, columns, ",", bom=False)
    reference = csv.writer(theirs, quoting=csv.QUOTE_NONNUMERIC)
    reference.writerow(["status", "error", *columns])
    for combination in COMBINATIONS * 2:
        for weight in ("72 kg", "158.7 lb", "49"):
            try:
                plan = planner.plan(
                    PlanRequest(weight=weight, **{k: v or None for k, v in combination.items()})
                )
            except Exception:
                continue
            record = render.plan_record(plan, book.path, book.sha256)
            writer.write(batch.Row(1, [], [], {}), record, None)
            reference.writerow(["ok", "", *render.csv_cells(record)])
    assert ours.getvalue() == theirs.getvalue()
    assert ours.getvalue().count("\r\n") > 100


# --- streaming ----------------------------------------------------------------------------


def test_rows_are_written_as_they_are_read(book):
    """Streaming: the first row is out before the input has been read past it."""
    read = {"lines": 0}

    def lines():
        yield "drug,weight\n"
        for i in range(5000):
            read["lines"] += 1
            yield f"margenza,{50 + i % 50} kg\n"

    seen = []

    class Output:
        def write(self, text):
            seen.append(read["lines"])

    source = batch.Source(lines(), "csv", bom=False, bytes_read=lambda: 0)
    report = batch.run(book, source, Output(), "csv")
    assert report.rows == report.ok == 5000
    assert seen[1] <= 2  # header, then row 1 written when at most 2 rows were read
    assert seen[-1] == 5000


def test_the_columns_come_from_plan_dict(book):
    from her2dose.commands.planner import Planner

    planner = Planner(book)
    request = PlanRequest(drug="margenza", weight="70 kg")
    assert batch.plan_columns(planner) == list(
        render.plan_record(planner.plan(request), book.path, book.sha256)
    )


def test_every_plan_request_field_is_a_column():
    assert tuple(f.name for f in fields(PlanRequest)) == batch.OPTION_FIELDS
    assert set(batch.REQUIRED_FIELDS) == {"drug", "weight"}


def test_no_progress_bar_when_stderr_is_not_a_terminal(cli, tmp_path):
    source = _orders(tmp_path, 3)
    result = cli("batch", "--columns", "full", str(source))
    assert "━" not in result.stderr and "%" not in result.stderr


def test_the_progress_bar_reports_bytes_read(tmp_path):
    source = _orders(tmp_path, 2500)
    ticks = []
    from her2dose.data import loader as regimens

    with source.open("rb") as binary:
        report = batch.run(
            regimens.load(SHIPPED),
            batch.open_source(binary, None),
            io.StringIO(),
            "csv",
            progress=ticks.append,
        )
    assert report.rows == 2500
    assert len(ticks) == 2 and 0 < ticks[0] <= ticks[1] <= os.path.getsize(source)


def test_the_progress_bar_draws_on_stderr():
    with batch.progress_bar(100) as tick:
        tick(50)
        tick(100)
    with batch.progress_bar(None) as tick:
        assert tick is None


def test_a_closed_stdout_is_an_error_not_a_crash(monkeypatch):
    from her2dose.errors import OutputError

    class ClosedPipe(io.RawIOBase):
        def writable(self):
            return True

        def write(self, data):
            raise BrokenPipeError(32, "Broken pipe")

    class Stdout(io.StringIO):
        buffer = io.BufferedWriter(ClosedPipe())

    monkeypatch.setattr("sys.stdout", Stdout())
    with (
        pytest.raises(OutputError, match="stdout was closed before the batch finished"),
        batch.output_stream("-") as out,
    ):
        out.write("x" * 100_000)
