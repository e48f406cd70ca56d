"""Write a synthetic archive of weekly demo decks, for benchmarks (issue 6).

    python benchmarks/generate.py --decks 520 --out /tmp/archive [--seed 42]
        [--mkdocs /tmp/archive-mkdocs] [--hugo /tmp/archive-hugo] [--verify]

``--out`` gets a demodeck project: ``demodeck.yaml`` and ``decks/YYYY-MM-DD.yaml``,
one deck per Monday going back from 2026-11-23, 12 demos per deck. The content
looks like what a team writes: 2–4 people per demo (some non-ASCII names, some
as ``{name, role}``), an ~80-word ``why`` with a link, bold text and a 3-item
list (sometimes a fenced code block), a ~40-word ``could_be_better``, 3–5
inline-Markdown features, minutes, sometimes notes and links; metrics on every
deck, sometimes sprint goals, experiments and a retro, whose actions (each with an
id) a later deck's retro closes 1–6 weeks on (``done``, or now and then ``dropped``).

``--mkdocs`` and ``--hugo`` write the *same* content as a MkDocs project (one
Markdown page per deck, an index page, ``mkdocs.yml``) and as a Hugo site
(``content/*.md`` per deck, ``config.toml`` and a minimal layout in ``layouts/``),
so the three tools can be timed on equal input.

Output is a pure function of (decks, seed): the same arguments give
byte-identical files. Only the standard library is used to write (the optional
``--verify`` re-reads every deck with PyYAML and compares it with what was meant).

Importable: ``generate(out, decks, seed=42, mkdocs=None, hugo=None)``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

LATEST = dt.date(2026, 11, 23)  # a Monday
DEMOS_PER_DECK = 12
SITE_TITLE = "R&D Weekly Demo"

# -- vocabulary -----------------------------------------------------------------------------

# (name, role); about a third are non-ASCII, including RTL and CJK names.
PEOPLE: tuple[tuple[str, str], ...] = (
    ("Alice Martin", "Backend"), ("Bob Okafor", "Frontend"), ("Chen Wei", "Data"),
    ("Dana Levi", "Design"), ("Erik Lindqvist", "SRE"), ("Fatima Zahra", "Mobile"),
    ("George Papadopoulos", "Backend"), ("Hannah Schmidt", "QA"), ("Ivan Petrov", "Platform"),
    ("Julia Costa", "Product"), ("Kenji Sato", "Frontend"), ("Laura Rossi", "Data"),
    ("Mohammed Al-Sayed", "Security"), ("Nina Kowalski", "Backend"), ("Oliver Brown", "Mobile"),
    ("Priya Raman", "ML"), ("Quentin Moreau", "Design"), ("Rachel Green", "Support tooling"),
    ("Samuel Adeyemi", "Platform"), ("Tom Becker", "SRE"), ("Uma Krishnan", "Product"),
    ("Victor Nguyen", "Frontend"), ("Wendy Clarke", "QA"), ("Xavier Dupont", "Backend"),
    ("Yara Haddad", "Data"), ("Zach Miller", "Mobile"), ("Mary-Jane O'Neil", "Design"),
    ("José Álvarez", "Backend"), ("Zoë Brontë", "Design"), ("Søren Kjærgaard", "Platform"),
    ("Łukasz Wróbel", "SRE"), ("Chloé Dubois", "Frontend"), ("Jürgen Müller", "Data"),
    ("Ayşe Yılmaz", "Mobile"), ("François Lefèvre", "Security"), ("Ingrid Øvrebø", "QA"),
    ("Dmitrij Ivanov", "Backend"), ("Дмитрий Иванов", "Platform"), ("נועה לוי", "Product"),
    ("יונתן כהן", "Backend"), ("李娜", "ML"), ("山田 太郎", "Frontend"), ("김민준", "Data"),
    ("Nguyễn Thị Hương", "Design"), ("Ólafur Arnalds", "SRE"), ("Sofía Hernández", "Mobile"),
)

TEAMS = ("Search", "Payments", "Growth", "Platform", "Mobile", "Data", "Identity",
         "Developer Experience", "Reliability", "Design System", "Insights", "Messaging")

SUBJECTS = ("search", "checkout", "billing", "onboarding", "the mobile app", "the admin console",
            "notifications", "the data pipeline", "single sign-on", "the API gateway",
            "reporting", "the design system", "feature flags", "the import wizard",
            "audit logs", "CI", "the status page", "offline mode", "permissions", "invoices",
            "the activity feed", "the public API", "exports", "the help centre")

TITLE_HEADS = ("Faster", "Bulk", "Self-serve", "Redesigned", "Real-time", "Smarter",
               "Accessible", "Cheaper", "Safer", "Simpler", "Offline", "Resumable",
               "Multi-region", "Keyboard-first", "Localised", "Café-grade")
TITLE_NOUNS = ("search ranking", "CSV export", "invoice PDFs", "notification digests",
               "login with passkeys", "audit log filters", "deploy previews", "image uploads",
               "dashboard loading", "retry queue", "schema migrations", "webhook delivery",
               "saved views", "team invites", "usage charts", "error pages", "API pagination",
               "build cache", "dark mode", "Hebrew and Arabic layout", "Überblick dashboard",
               "release notes", "rate limiting", "on-call handover", "cost alerts",
               "address autocomplete", "trial conversion emails", "flaky test quarantine")

PAINS = ("slow on large accounts", "confusing for first-time users", "failing silently",
         "too expensive to run", "hard to find", "broken on small screens",
         "timing out under load", "inconsistent between web and mobile")
BENEFITS = ("cuts the wait to under a second", "removes three manual steps",
            "makes failures visible to the people who can fix them",
            "halves the infrastructure bill for that service",
            "lets support answer without paging an engineer",
            "works the same way on every platform", "keeps working when the network drops")
METRIC_PHRASES = (("p95 latency", "ms"), ("support tickets", "per week"),
                  ("time to first value", "minutes"), ("error rate", "%"),
                  ("monthly cost", "k€"), ("drop-off", "%"), ("build time", "minutes"))
CLAIMS = ("the biggest win this quarter", "well past the goal we set",
          "better than the competitor we benchmark against", "what customers asked for",
          "enough to turn the feature on for everyone")
DOCS = ("design doc", "dashboard", "rollout plan", "pilot report", "RFC", "metrics notebook")
LIST_ITEMS = ("Works for every plan, including **free**", "No migration needed for existing data",
              "Behind the `new_{slug}` flag until Friday", "Covered by end-to-end tests",
              "Documented in the *help centre*", "Rolled out to 10% of traffic first",
              "Accessible with a keyboard and a screen reader", "Logs every change for audit",
              "Falls back to the old path on error", "Translated into 12 languages",
              "Costs nothing extra to run", "Has a kill switch in the admin console")
CLOSERS = ("Next week we turn it on for everyone.", "Questions welcome in the team's channel.",
           "Thanks to everyone who tested the beta.", "Support has already seen fewer tickets.",
           "We will report the numbers again in a month.")
FILLERS = ("It took two sprints, one of them mostly spent on edge cases we didn't expect.",
           "The old behaviour is still there for accounts that opted out.",
           "We paired with support for a week to watch real customers use it.",
           "Most of the work was in the data model, not in the screens you'll see.",
           "The same approach should work for the other teams that asked about it.")
CBB = ("We underestimated the {topic} migration and slipped by {n} days; a spike in week "
       "one would have shown it.",
       "The review queue was the bottleneck: {n} pull requests for {topic} waited more than "
       "a day.",
       "We didn't find the accessibility issues in {topic} until late; a screen-reader pass "
       "during design is cheaper.",
       "Load testing of {topic} came after the launch date was announced, which left no room "
       "to react.",
       "Two teams built similar helpers for {topic} in parallel; we should have talked "
       "earlier.",
       "The feature flag stayed on for {n} weeks and made the tests harder to reason about.",
       "Support called it \"the {topic} surprise\": we hadn't told them the launch date.",
       "Requirements changed {n} times mid-sprint; writing them down earlier would have helped.",
       "On-call got {n} pages in the first week because the alerts were tuned for the old "
       "traffic.",
       "The design review happened after {n} screens were built, so {n} of them changed.")
FEATURE_TEMPLATES = ("Filters {b} by **{a}** and date, {n} at a time",
                     "Keyboard shortcut `{k}` jumps to {b} ({n} most recent)",
                     "Works *offline* for {b}, up to {n} days", "Exports {n}k {b} to CSV and PDF",
                     "Links each of the {n} {b} checks to [the runbook]({url})",
                     "Shows **{n}** {b} per page by default", "Undo any {b} change within {n} s",
                     "Remembers your last `{k}` choice across {n} {b}",
                     "Emails a weekly *digest* of {b} to {n} subscribers",
                     "Retries {b} with back-off up to {n} times",
                     "Right-to-left layout for {b}, tested in {n} locales",
                     "Admin-only **bulk** actions on {n} {b} at once",
                     "Inline help next to {n} {b} fields",
                     "Status badge for {b}, refreshed every {n} s",
                     "Audit entry for every {b} change, kept {n} months",
                     "Loads {n}00 {b} in under a second", "Search {b} by *name* or `id` in {n} ms")
FEATURE_WORDS = ("invoices", "teams", "owners", "regions", "tags", "reports", "users", "alerts",
                 "projects", "exports", "comments", "files", "plans", "sessions", "webhooks")
NOTES = ("Start with the slow path so the difference is visible.",
         "Have the staging account for {topic} logged in before the demo.",
         "If the network is slow, switch to the recorded video ({n} minutes).",
         "Mention the customer who asked for {topic}: they are in the audience.",
         "Keep it under the timebox; questions go to the end.",
         "Show the before and after side by side; the numbers are on slide {n}.",
         "{person} can answer questions about the rollout.")
GOALS = ("Ship **passkeys** to {n}0% of users", "Close the last `P1` bugs from the audit",
         "Cut CI time below *{n} minutes*", "Launch the new onboarding in {n} markets",
         "Retire the legacy export service", "Publish the public API changelog",
         "Answer every support escalation within {n} hours")
OUTCOMES = ("success", "mixed", "failed")

CODE_SNIPPETS: tuple[tuple[str, str], ...] = (
    ("python", "def ranked(results, boost={n}):\n    \"\"\"Newest first, pinned on top.\"\"\"\n"
               "    return sorted(results, key=lambda r: (not r.pinned, -r.score * boost))\n"),
    ("sql", "SELECT team, count(*) AS deploys\nFROM deployments\n"
            "WHERE created_at > now() - interval '{n} days'\nGROUP BY team\n"
            "ORDER BY deploys DESC;\n"),
    ("bash", "export FEATURE_FLAG=new_export\n./scripts/migrate --batch-size {n} --dry-run\n"
             "./scripts/migrate --batch-size {n}\n"),
    ("yaml", "retry:\n  attempts: {n}\n  backoff: exponential\n  max_delay: 30s\n"),
    ("json", "{{\n  \"event\": \"export.finished\",\n  \"rows\": {n},\n  \"ok\": true\n}}\n"),
    ("typescript", "export async function load(id: string): Promise<Report> {{\n"
                   "  const res = await fetch(`/api/reports/${{id}}?limit={n}`);\n"
                   "  return res.json();\n}}\n"),
    ("go", "func (q *Queue) Retry(job Job) error {{\n\tif job.Attempts >= {n} {{\n"
           "\t\treturn ErrGiveUp\n\t}}\n\treturn q.Push(job)\n}}\n"),
)


# -- content -------------------------------------------------------------------------------

def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _url(rng: random.Random, what: str) -> str:
    host = rng.choice(("wiki.example.com", "dashboards.example.com", "docs.example.com"))
    return f"https://{host}/{_slug(what)}/{rng.randint(100, 9999)}"


def _words(text: str) -> int:
    return len(text.split())


def _why(rng: random.Random, title: str) -> str:
    subject = rng.choice(SUBJECTS)
    metric, unit = rng.choice(METRIC_PHRASES)
    doc = rng.choice(DOCS)
    before = rng.randint(20, 900)
    after = max(1, before * rng.randint(20, 70) // 100)
    opening = rng.choice((
        f"Customers kept telling support that {subject} was {rng.choice(PAINS)}; "
        f"this {rng.choice(BENEFITS)}.",
        f"Until now {subject} was {rng.choice(PAINS)}, and everyone knew it. "
        f"The new version {rng.choice(BENEFITS)}.",
        f"We picked this up because {subject} was {rng.choice(PAINS)}: the change "
        f"{rng.choice(BENEFITS)}.",
    ))
    intro = (f"{opening} In the pilot with {rng.randint(3, 40)} teams, "
             f"{metric} went from {before} to {after} {unit}, which is "
             f"**{rng.choice(CLAIMS)}**. See [the {doc}]({_url(rng, doc)}) for the details.")
    items = [item.replace("{slug}", _slug(title).replace("-", "_")[:20])
             for item in rng.sample(LIST_ITEMS, 3)]
    body = [intro, "", *(f"- {item}" for item in items), ""]
    closing = [rng.choice(CLOSERS)]
    fillers = rng.sample(FILLERS, len(FILLERS))
    while _words(" ".join(body + closing)) < 76 and fillers:
        closing.insert(0, fillers.pop())
    body.append(" ".join(closing))
    if rng.random() < 0.2:
        lang, code = rng.choice(CODE_SNIPPETS)
        body += ["", f"```{lang}", code.format(n=rng.randint(2, 500)).rstrip("\n"), "```"]
    return "\n".join(body) + "\n"


def _could_be_better(rng: random.Random, topic: str) -> str:
    parts: list[str] = []
    for template in rng.sample(CBB, len(CBB)):
        parts.append(template.format(n=rng.randint(2, 9), topic=topic))
        if _words(" ".join(parts)) >= 32:
            break
    return " ".join(parts) + "\n"


def _features(rng: random.Random) -> list[str]:
    out = []
    for template in rng.sample(FEATURE_TEMPLATES, rng.randint(3, 5)):
        out.append(template.format(a=rng.choice(FEATURE_WORDS), b=rng.choice(FEATURE_WORDS),
                                   k=rng.choice(("g s", "ctrl+k", "?", "shift+e", "g i", "/")),
                                   n=rng.randint(2, 60), url=_url(rng, "runbook")))
    return out


def _notes(rng: random.Random, topic: str) -> str:
    return " ".join(t.format(topic=topic, n=rng.randint(2, 12), person=rng.choice(PEOPLE)[0])
                    for t in rng.sample(NOTES, rng.randint(1, 2))) + "\n"


def _people(rng: random.Random) -> list[Any]:
    out: list[Any] = []
    for name, role in rng.sample(PEOPLE, rng.randint(2, 4)):
        out.append({"name": name, "role": role} if rng.random() < 0.35 else name)
    return out


def _demo(rng: random.Random, used_titles: set[str]) -> dict[str, Any]:
    while True:
        title = f"{rng.choice(TITLE_HEADS)} {rng.choice(TITLE_NOUNS)}"
        if rng.random() < 0.15:
            title += f" v{rng.randint(2, 4)}"
        if title not in used_titles:
            used_titles.add(title)
            break
    demo: dict[str, Any] = {"title": title}
    if rng.random() < 0.8:
        demo["team"] = rng.choice(TEAMS)
    demo["people"] = _people(rng)
    demo["features"] = _features(rng)
    demo["why"] = _why(rng, title)
    topic = title.split(" ", 1)[1].removesuffix(" v2").removesuffix(" v3").removesuffix(" v4")
    demo["could_be_better"] = _could_be_better(rng, topic)
    if rng.random() < 0.3:
        demo["links"] = [{"label": label, "url": _url(rng, label)}
                         for label in rng.sample(("Design doc", "Pull request", "Dashboard",
                                                  "Recording"), rng.randint(1, 2))]
    if rng.random() < 0.4:
        demo["notes"] = _notes(rng, topic)
    demo["minutes"] = rng.randint(3, 10)
    return demo


def _metrics(rng: random.Random, week: int) -> dict[str, Any]:
    metrics: dict[str, Any] = {
        "deployments": rng.randint(10, 80),
        "bugs_opened": rng.randint(2, 30),
        "bugs_closed": rng.randint(2, 35),
        "cycle_time_days": round(rng.uniform(1.0, 9.0), 1),
        "active_users": 5000 + week * 37 + rng.randint(0, 900),
    }
    if rng.random() < 0.5:
        metrics["p95_latency_ms"] = rng.randint(80, 900)
    if rng.random() < 0.3:
        metrics["NPS"] = rng.randint(-10, 70)
    return metrics


def _experiments(rng: random.Random) -> list[dict[str, str]]:
    out = []
    for _ in range(rng.randint(1, 3)):
        subject = rng.choice(SUBJECTS)
        out.append({
            "experiment": f"New empty state for {subject}",
            "hypothesis": f"A clearer first step raises activation by **{rng.randint(2, 15)}%**",
            "result": f"{rng.choice(('+', '-'))}{rng.randint(0, 12)}.{rng.randint(0, 9)}% "
                      f"after {rng.randint(1, 4)} weeks, *n* = {rng.randint(200, 9000)}",
            "outcome": rng.choice(OUTCOMES),
        })
    return out


def _retro(rng: random.Random) -> dict[str, Any]:
    went_well = rng.sample(("Demos stayed in their timebox", "Pairing across **teams**",
                            "Zero rollbacks this sprint", "Fast answers on `#help-deploys`",
                            "Design reviews happened early"), rng.randint(1, 3))
    cbb = rng.sample(("Too many meetings on Wednesday", "Flaky tests in `checkout`",
                      "Unclear owner for the *billing* alerts", "Late scope changes"),
                     rng.randint(1, 2))
    actions: list[Any] = []
    for what in rng.sample(("Quarantine flaky tests within a day", "Write the spike down first",
                            "Book the load test before announcing a date",
                            "Rotate the demo host"), rng.randint(1, 2)):
        if rng.random() < 0.6:
            actions.append({"what": what, "owner": rng.choice(PEOPLE)[0]})
        else:
            actions.append(what)
    return {"went_well": went_well, "could_be_better": cbb, "actions": actions}


def deck_dates(decks: int) -> list[dt.date]:
    """The N Mondays ending on LATEST, oldest first."""
    return [LATEST - dt.timedelta(weeks=k) for k in range(decks - 1, -1, -1)]


def make_deck(rng: random.Random, day: dt.date, week: int) -> dict[str, Any]:
    """One deck as plain data, in the key order a person would write it."""
    deck: dict[str, Any] = {}
    if rng.random() < 0.3:
        deck["title"] = f"{SITE_TITLE} — Sprint {week + 1}"
    if rng.random() < 0.3:
        deck["date"] = day
    deck["hosts"] = [p[0] for p in rng.sample(PEOPLE, rng.randint(1, 2))]
    if rng.random() < 0.5:
        deck["sprint_goals"] = [g.format(n=rng.randint(2, 9))
                                for g in rng.sample(GOALS, rng.randint(2, 4))]
    used: set[str] = set()
    deck["demos"] = [_demo(rng, used) for _ in range(DEMOS_PER_DECK)]
    deck["metrics"] = _metrics(rng, week)
    if rng.random() < 0.3:
        deck["experiments"] = _experiments(rng)
    if rng.random() < 0.6:
        deck["retro"] = _retro(rng)
    return deck


ACTION_WEEKS = (1, 6)  # a retro action is closed this many weeks later, by a deck with a retro


def archive(decks: int, seed: int = 42) -> Iterator[tuple[dt.date, dict[str, Any]]]:
    """(date, deck data) for every deck, oldest first; deterministic for a seed."""
    still: list[tuple[int, str, str]] = []  # open actions: (week it is due, how, id)
    for week, day in enumerate(deck_dates(decks)):
        # One generator per deck: a deck's content depends only on (seed, date), so
        # archives of different sizes share their common weeks (but for the actions
        # their first weeks close: those of earlier weeks, which only the longer has).
        rng = random.Random(f"{seed}:{day.isoformat()}")
        deck = make_deck(rng, day, week)
        if "retro" in deck:
            closer = random.Random(f"{seed}:{day.isoformat()}:actions")
            still = _follow(deck["retro"], day, week, closer, still)
        yield day, deck


def _follow(retro: dict[str, Any], day: dt.date, week: int, rng: random.Random,
            still: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """Close the open actions that are due (``retro.done``, ``retro.dropped``), as a team
    following its actions does, and give the retro's own actions ids and a due week:
    the open actions after this deck."""
    due = [(how, ref) for when, how, ref in still if when <= week]
    for how in ("done", "dropped"):
        refs = [ref for kind, ref in due if kind == how]
        if refs:
            retro[how] = refs
    still = [entry for entry in still if entry[0] > week]
    named = []
    for action in retro.get("actions", ()):
        what = action["what"] if isinstance(action, dict) else action
        ident = f"{_slug(what)[:24].strip('-')}-{day.isoformat()}"
        named.append({"id": ident, **(action if isinstance(action, dict) else {"what": what})})
        still.append((week + rng.randint(*ACTION_WEEKS),
                      "dropped" if rng.random() < 0.15 else "done", ident))
    if named:
        retro["actions"] = named
    return still


# -- YAML (hand-written, like a person's deck file) ----------------------------------------

_PLAIN = re.compile(r"^[^\W\d_][^:#\[\]{},&*!|>'\"%@`\\\n]*$")
_YAML_WORDS = {"yes", "no", "y", "n", "true", "false", "on", "off", "null", "~"}


def yaml_scalar(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        raise TypeError(value)
    if isinstance(value, int | float | dt.date):
        return str(value)
    text = str(value)
    if _PLAIN.match(text) and text == text.strip() and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted one


def _yaml_lines(value: Any, indent: int) -> Iterator[str]:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and "\n" in item:
                yield f"{pad}{key}: |"
                for line in item.rstrip("\n").split("\n"):
                    yield f"{pad}  {line}" if line else ""
            elif isinstance(item, dict | list):
                yield f"{pad}{key}:"
                yield from _yaml_lines(item, indent + 2)
            else:
                yield f"{pad}{key}: {yaml_scalar(item)}"
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                inner = list(_yaml_lines(item, indent + 2))
                yield f"{pad}- {inner[0].lstrip()}"
                yield from inner[1:]
            else:
                yield f"{pad}- {yaml_scalar(item)}"
    else:  # pragma: no cover - top level is always a mapping
        raise TypeError(value)


def deck_yaml(day: dt.date, deck: dict[str, Any]) -> str:
    head = ["# yaml-language-server: $schema=../deck.schema.json",
            f"# Weekly demo, {day:%A %d %B %Y}."]
    body: list[str] = []
    for key, value in deck.items():
        if key == "demos":
            body.append("")
        body.extend(_yaml_lines({key: value}, 0))
        if key == "demos":
            body.append("")
    return "\n".join(head + body) + "\n"


# -- the same content as Markdown, for MkDocs and Hugo -------------------------------------

def _person_md(person: Any) -> str:
    if isinstance(person, dict):
        return f"{person['name']} ({person['role']})"
    return str(person)


def _label(key: str) -> str:
    known = {"deployments": "Deployments", "bugs_opened": "Bugs opened",
             "bugs_closed": "Bugs closed", "cycle_time_days": "Cycle time (days)",
             "active_users": "Active users"}
    return known.get(key) or key.replace("_", " ").capitalize()


def deck_title(deck: dict[str, Any]) -> str:
    return str(deck.get("title", SITE_TITLE))


def deck_markdown(day: dt.date, deck: dict[str, Any]) -> str:
    """The deck's content as one Markdown page (no page title: each tool adds its own)."""
    out: list[str] = [f"*{day:%A} {day.day} {day:%B %Y}* · hosted by "
                      + ", ".join(deck["hosts"]), ""]
    if deck.get("sprint_goals"):
        out += ["## Sprint goals", "", *(f"- {g}" for g in deck["sprint_goals"]), ""]
    for demo in deck["demos"]:
        meta = [", ".join(_person_md(p) for p in demo["people"])]
        if demo.get("team"):
            meta.append(f"team {demo['team']}")
        meta.append(f"{demo['minutes']} minutes")
        out += [f"## {demo['title']}", "", "*" + " · ".join(meta) + "*", "",
                *(f"- {f}" for f in demo["features"]), "",
                "### Why it matters", "", demo["why"].rstrip("\n"), "",
                "### What could we have done better?", "", demo["could_be_better"].rstrip("\n"),
                ""]
        if demo.get("links"):
            out += ["### Links", "", *(f"- [{ln['label']}]({ln['url']})"
                                       for ln in demo["links"]), ""]
        if demo.get("notes"):
            out += ["### Speaker notes", "", demo["notes"].rstrip("\n"), ""]
    if deck.get("experiments"):
        out += ["## Experiments", "", "| Experiment | Hypothesis | Result | Outcome |",
                "| --- | --- | --- | --- |"]
        out += [f"| {e['experiment']} | {e['hypothesis']} | {e['result']} | {e['outcome']} |"
                for e in deck["experiments"]]
        out.append("")
    out += ["## By the numbers", "", "| Metric | Value |", "| --- | ---: |"]
    out += [f"| {_label(k)} | {v:,} |" for k, v in deck["metrics"].items()]
    out += ["", "## What could we have done better?", ""]
    retro = deck.get("retro") or {}
    for heading, key in (("Went well", "went_well"), ("Could be better", "could_be_better")):
        if retro.get(key):
            out += [f"### {heading}", "", *(f"- {item}" for item in retro[key]), ""]
    if retro.get("actions"):
        out += ["### Actions", ""]
        for action in retro["actions"]:
            if isinstance(action, dict):
                owner = f" ({action['owner']})" if action.get("owner") else ""
                out.append(f"- {action['what']}{owner}")
            else:
                out.append(f"- {action}")
        out.append("")
    for heading, key in (("Done since", "done"), ("Dropped", "dropped")):
        if retro.get(key):
            out += [f"### {heading}", "", *(f"- {ref}" for ref in retro[key]), ""]
    if not retro:
        out += ["Nothing recorded this week.", ""]
    return "\n".join(out).rstrip("\n") + "\n"


MKDOCS_YML = f"""\
site_name: {SITE_TITLE}
docs_dir: docs
# MkDocs' defaults (the built-in 'mkdocs' theme, search plugin, automatic nav of every
# page), plus code highlighting with Pygments, as demodeck does.
markdown_extensions:
  - tables
  - fenced_code
  - codehilite
"""

HUGO_CONFIG = f"""\
baseURL = "/"
title = "{SITE_TITLE}"
languageCode = "en"
buildFuture = true
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
[markup.goldmark.renderer]
  unsafe = false
[markup.highlight]
  noClasses = false
"""

HUGO_SINGLE = """\
<!DOCTYPE html>
<html lang="{{ .Site.LanguageCode }}">
<head>
<meta charset="utf-8">
<title>{{ .Title }} · {{ .Date.Format "2006-01-02" }}</title>
</head>
<body>
<main>
<h1>{{ .Title }}</h1>
{{ .Content }}
</main>
<p><a href="{{ "/" | relURL }}">All decks</a></p>
</body>
</html>
"""

HUGO_INDEX = """\
<!DOCTYPE html>
<html lang="{{ .Site.LanguageCode }}">
<head>
<meta charset="utf-8">
<title>{{ .Site.Title }}</title>
</head>
<body>
<h1>{{ .Site.Title }}</h1>
<ul>
{{ range .Site.RegularPages.ByDate.Reverse }}
<li><a href="{{ .RelPermalink }}">{{ .Date.Format "2006-01-02" }}: {{ .Title }}</a></li>
{{ end }}
</ul>
</body>
</html>
"""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write(text)


MARKER = ".demodeck-benchmark"


def _fresh(folder: Path) -> None:
    """Empty ``folder`` of what an earlier run wrote, so stale decks never linger.

    Refuses a non-empty folder this script did not write (it has no marker file).
    """
    if folder.exists() and any(folder.iterdir()) and not (folder / MARKER).exists():
        raise SystemExit(f"{folder}: not empty and not written by generate.py; "
                         "refusing to write into it")
    for name in ("decks", "docs", "content", "layouts", "public", "site", ".demodeck-cache"):
        shutil.rmtree(folder / name, ignore_errors=True)
    _write(folder / MARKER, "Written by benchmarks/generate.py; rewritten on each run.\n")


def generate(out: Path, decks: int, seed: int = 42, *, mkdocs: Path | None = None,
             hugo: Path | None = None, verify: bool = False) -> None:
    """Write the archive as a demodeck project in ``out`` (and optionally MkDocs/Hugo)."""
    if decks < 1:
        raise ValueError("decks must be at least 1")
    out = Path(out)
    _fresh(out)
    _write(out / "demodeck.yaml", f"title: {SITE_TITLE}\nlanguage: en\n")
    _write(out / ".gitignore", "site/\n.demodeck-cache/\n")
    if mkdocs is not None:
        mkdocs = Path(mkdocs)
        _fresh(mkdocs)
        _write(mkdocs / "mkdocs.yml", MKDOCS_YML)
    if hugo is not None:
        hugo = Path(hugo)
        _fresh(hugo)
        _write(hugo / "config.toml", HUGO_CONFIG)
        _write(hugo / "layouts" / "_default" / "single.html", HUGO_SINGLE)
        _write(hugo / "layouts" / "index.html", HUGO_INDEX)
    index: list[str] = []
    for day, deck in archive(decks, seed):
        name = day.isoformat()
        text = deck_yaml(day, deck)
        _write(out / "decks" / f"{name}.yaml", text)
        if verify:
            _verify(out / "decks" / f"{name}.yaml", text, deck)
        if mkdocs is not None or hugo is not None:
            body = deck_markdown(day, deck)
            title = deck_title(deck)
            if mkdocs is not None:
                _write(mkdocs / "docs" / f"{name}.md", f"# {title}\n\n{body}")
                index.append(f"- [{name}: {title}]({name}.md)")
            if hugo is not None:
                front = f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\ndate: {name}\n---\n"
                _write(hugo / "content" / f"{name}.md", front + "\n" + body)
    if mkdocs is not None:
        _write(mkdocs / "docs" / "index.md",
               f"# {SITE_TITLE}\n\n" + "\n".join(reversed(index)) + "\n")


def _verify(path: Path, text: str, deck: dict[str, Any]) -> None:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    if yaml.load(text, Loader=loader) != deck:  # a safe loader
        raise AssertionError(f"{path}: the YAML written does not read back as the deck meant")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--decks", type=int, required=True, help="number of weekly decks")
    p.add_argument("--out", type=Path, required=True, help="demodeck project folder to write")
    p.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    p.add_argument("--mkdocs", type=Path, metavar="DIR", help="also write a MkDocs project here")
    p.add_argument("--hugo", type=Path, metavar="DIR", help="also write a Hugo site here")
    p.add_argument("--verify", action="store_true",
                   help="re-read every deck with PyYAML and compare with what was meant")
    args = p.parse_args(argv)
    generate(args.out, args.decks, args.seed, mkdocs=args.mkdocs, hugo=args.hugo,
             verify=args.verify)
    print(f"wrote {args.decks} decks × {DEMOS_PER_DECK} demos to {args.out}"
          + (f", MkDocs to {args.mkdocs}" if args.mkdocs else "")
          + (f", Hugo to {args.hugo}" if args.hugo else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
