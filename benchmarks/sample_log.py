"""Fill an interaction log with a realistic week of teachers' questions, for trying `python -m bot report`.

Run:  .venv/bin/python benchmarks/sample_log.py /tmp/sample-data
      DATA_DIR=/tmp/sample-data .venv/bin/python -m bot report
Each question goes through the real matcher, so statuses and entries are what the bot would log; a few
answers are marked not helpful, as teachers would.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content import load_answerer  # noqa: E402
from bot.curation.interaction_log import LOG_FILE, InteractionLog, load_or_create_key  # noqa: E402

# (teacher, question, feedback on a confident answer or None)
WEEK = [
    (1, "hi", None),
    (1, "is this free for colleges", None),
    (1, "how many days out of class will i need", "helpful"),
    (2, "can my HoD nominate me", None),
    (2, "do i need qtls or is qts fine", None),
    (2, "whats the deadline to apply this year", None),
    (3, "Deadline for applications?", None),
    (3, "when do applications close", None),
    (3, "is there travel money for the sessions", None),
    (4, "do we get paid expenses for travel", None),
    (4, "will travel be reimbursed", None),
    (4, "who pays for cover when i'm away", "not_helpful"),
    (5, "Are the sessions online or face to face?", None),
    (5, "is it online", None),
    (5, "where are the training days held", None),
    (6, "what is teaching for mastery", None),
    (6, "whats CfEM", None),
    (7, "can a sixth form college teacher apply", None),
    (7, "I teach in a prison education dept, does that count as FE?", None),
    (8, "how long is the programme", None),
    (8, "what do I have to do in year 2", "helpful"),
    (9, "do i get a certificate at the end", None),
    (9, "is there a qualification at the end", None),
    (10, "what's the workload like per week", None),
    (10, "how many hours a week will it take", None),
    (11, "can two of us from the same college apply", None),
    (11, "how many teachers per college can do it", None),
    (12, "what does MEI do", None),
    (12, "who are Tribal", None),
    (13, "do i need to be a maths lead", None),
    (13, "i have 18 months experience can I still apply", "not_helpful"),
    (14, "thanks", None),
    (15, "what happens if i change jobs halfway through", None),
    (15, "if I leave my college do I have to stop", None),
    (16, "How much does it cost", "helpful"),
    (16, "is the funding still available for 2025/26", None),
    (17, "when does cohort 2 start", None),
    (17, "is there a cohort starting in 2026", None),
    (18, "does it count towards my appraisal", None),
    (18, "can I use it for my CPD hours", None),
]


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    data_dir = Path(sys.argv[1])
    answerer = load_answerer()
    log = InteractionLog(data_dir / LOG_FILE, load_or_create_key(data_dir))
    for teacher, question, feedback in WEEK:
        answer = answerer.ask(question)
        entry_id = answer.entry.id if answer.entry else None
        ref = log.record(teacher, "private", question, answer.status, entry_id, answer.score)
        if feedback and answer.status == "answered":
            log.record_feedback(ref, teacher, feedback)
    log.close()
    print(f"{len(WEEK)} questions logged to {data_dir / LOG_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
