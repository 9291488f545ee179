"""``ragwarden bench quality``: any question file and any local sentence-transformers model, judged beside the
shipped default on the demo corpus; bad input is a clear error before anything is indexed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragwarden import cli
from ragwarden.core.errors import ConfigurationError, InvalidRequestError
from ragwarden.evaluation import bench_quality, bench_quality_runs
from ragwarden.ingestion.embedding import shipped_model_path
from tests.demo_fixtures import Demo

GERMAN_SET = Path(bench_quality.__file__).with_name("questions_de.yaml")


def test_the_german_set_has_sixty_german_questions_beside_the_cross_lingual_ones() -> None:
    questions = bench_quality.load_questions(GERMAN_SET)
    assert sum(q["lang"] == "de" for q in questions) >= 60
    assert {q["lang"] for q in questions} == {"de", "de-en"}
    assert bench_quality.load_questions()  # the shipped set stays


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the question file"),
        ("- {lang: de, question: [unclosed", "is not valid YAML"),
        ("lang: de", "expected a non-empty YAML list"),
        ('- {lang: de, question: "Wo?"}', "needs the text fields lang, question, expect"),
    ],
)
def test_a_bad_question_file_is_a_clear_error(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "questions.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidRequestError, match=message):
        bench_quality.load_questions(path)


def test_a_model_path_that_is_no_sentence_transformers_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        bench_quality_runs.check_model(str(tmp_path / "missing"))
    with pytest.raises(ConfigurationError, match="no config.json"):
        bench_quality_runs.check_model(str(tmp_path))
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ConfigurationError, match="no modules.json"):
        bench_quality_runs.check_model(str(tmp_path))
    assert bench_quality_runs.check_model(str(shipped_model_path())) == shipped_model_path()


def test_the_command_line_says_what_is_wrong_and_indexes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["bench", "quality", "--questions", str(tmp_path / "none.yaml")]) == 2
    assert "cannot read the question file" in capsys.readouterr().err
    (tmp_path / "q.yaml").write_text("- {lang: de, question: Wo, expect: hr/nirgends.txt}\n", encoding="utf-8")
    assert cli.main(["bench", "quality", "--questions", str(tmp_path / "q.yaml")]) == 2
    assert "no such document in the demo corpus: hr/nirgends.txt" in capsys.readouterr().err
    (tmp_path / "q.yaml").unlink()
    assert cli.main(["bench", "quality", "--model", str(tmp_path)]) == 2
    assert "not a sentence-transformers model directory" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_german_questions_find_their_german_pages_on_the_demo_index(demo: Demo) -> None:
    """On the session's demo index (compound splitting on), in the hybrid ranking: the issue's targets, German
    recall@5 >= 0.95 and MRR@10 >= 0.85 (measured 0.986 and 0.860; 0.847 before a German question's English
    keyword leg counted half in the fusion, 0.79 before splitting)."""
    questions = [q for q in bench_quality.load_questions(GERMAN_SET) if q["lang"] == "de"]
    table = bench_quality.evaluate(demo.services, sorted(demo.directory["users"]), questions)
    hybrid = table[("hybrid", "de")]
    assert hybrid["questions"] == len(questions)
    assert hybrid["recall@5"] >= 0.95, hybrid
    assert hybrid["mrr@10"] >= 0.85, hybrid


def test_the_shipped_model_passed_as_model_is_judged_beside_the_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real thing end to end, small: three questions, two fresh indexes of the demo corpus."""
    picked = [q for q in bench_quality.load_questions(GERMAN_SET) if "Netzwerkdrucker" in q["question"]]
    picked += [q for q in bench_quality.load_questions() if q["lang"] == "en"][:1]
    path = tmp_path / "mine.yaml"
    path.write_text("".join(f"- {{lang: {q['lang']}, question: \"{q['question']}\", expect: {q['expect']}}}\n"
                            for q in picked), encoding="utf-8")  # fmt: skip
    model = str(shipped_model_path())
    assert bench_quality.main(["--questions", str(path), "--model", model, "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.split()[:2] == ["mode", "lang"])
    assert "shipped" in header and f"{Path(model).parent.name}/{Path(model).name}"[:26] in header
    rows = [line.split() for line in out.splitlines() if line.split()[:1] in (["hybrid"], ["dense"], ["sparse"])]
    assert {(r[0], r[1]) for r in rows} == {(m, lang) for m in ("hybrid", "dense", "sparse") for lang in ("de", "en")}
    hybrid_de = next(r for r in rows if r[:2] == ["hybrid", "de"])
    assert float(hybrid_de[3]) == float(hybrid_de[5]) == 1.0  # recall@5 of both set-ups
