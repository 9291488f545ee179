"""The answer benchmark's smoke run: a few questions per language, through the real answering use case
on the demo index, in the embedded default mode (extractive). Structure and refusals, not wording."""

from __future__ import annotations

from ragwarden.evaluation import bench_answers
from tests.demo_fixtures import Demo


def test_a_few_questions_per_language_quote_their_sources_and_refuse_what_they_must(demo: Demo) -> None:
    questions = bench_answers.load_questions()
    picked = [q for lang in ("de", "en") for kind in ("answerable", "forbidden", "unanswerable")
              for q in [x for x in questions if x["lang"] == lang and x["kind"] == kind][:2]]  # fmt: skip
    answerer = bench_answers.answerer_for(demo.services, "extractive", None)
    tally = bench_answers.Tally()
    for question in picked:
        scope = demo.services.directory.resolve(question["user"])
        result = answerer.answer(scope, question["question"])
        facts = question["facts"]
        if question["kind"] == "forbidden":  # never the fact another department holds
            assert not any(bench_answers.has_fact(result.answer, f) for f in facts), question["id"]
        if result.found:
            assert result.mode == "extractive"
            assert result.sentences and all(n in {c.number for c in result.citations} for _, n in result.sentences)
            for sentence, number in result.sentences:  # a quote is the source's own words
                cited = next(c for c in result.citations if c.number == number)
                hits = demo.services.retriever.document(scope, cited.doc_id)
                assert any(sentence[:40] in " ".join(h.text.split()) for h in hits), sentence
        else:
            assert not result.sentences and not result.citations
        bench_answers.score(demo.services, answerer, question, tally)
    row = tally.row()
    assert tally.leaked == []
    assert row["faithfulness"] == 1.0
    assert tally.answerable == 4 and tally.refusable == 8
