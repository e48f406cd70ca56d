"""YAML mistakes in plain words (issue 21): what `demodeck check` tells someone who is not
fluent in YAML, at the line of the mistake, with what to type instead; and no word they
typed dropped without a message (YAML reads text after " #" as a comment).

Each test puts one mistake into an otherwise valid deck and reads the whole of what the
user reads. The README's table of YAML mistakes shows these same messages.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from demodeck import yaml_hints
from tests.conftest import MINIMAL_DECK, REPO, Project, copy_examples

Cap = pytest.CaptureFixture[str]
DECK = "decks/2026-11-23.yaml"


def problems(project: Project, capsys: Cap, old: str, new: str) -> list[str]:
    """What `demodeck check` says about the minimal deck with ``old`` replaced by ``new``."""
    assert old in MINIMAL_DECK
    project.write(DECK, MINIMAL_DECK.replace(old, new, 1))
    result = project.run("check", capsys=capsys)
    lines = result.err.splitlines()
    assert result.code == 1 and lines[-1].endswith("nothing was written"), result
    return lines[:-1]


# The messages as the README's table shows them (without the file:line:col in front).
DROPPED = "text after '#' is read as a comment and would be dropped; put the whole text in quotes"
A_COMMENT = "(for a comment, put a space after the '#')"
FIXES = f'{DROPPED}: - "Fixes #4521 and #4533 from the backlog" {A_COMMENT}'
NL_LAUNCH = f'{DROPPED}: - title: "Apple Pay in the Netherlands #NL launch" {A_COMMENT}'
REQUEST = f'{DROPPED}: - title: "#1 request from customers" {A_COMMENT}'
RETRIES = ("expected text, got a mapping: the ': ' after 'Retries' makes YAML read a "
           "'key: value' pair; put the whole text in quotes: - \"Retries: three attempts\"")
AT = ("a value cannot start with '@' in YAML; put the whole text in quotes: - \"@maria\" "
      "(YAML: found character that cannot start any token)")
BACKTICK = ("a value cannot start with '`' in YAML; put the whole text in quotes: "
            "team: \"`search-api` squad\" (YAML: found character that cannot start any token)")
PERCENT = ("a value cannot start with '%' in YAML; put the whole text in quotes: "
           "- \"%40 fewer typos\" (YAML: found character that cannot start any token)")
PIPE = ("'|' at the start of a value begins a block of text written on the lines below it, so "
        "nothing but a comment may follow it; to start the text with '|', put the whole text "
        "in quotes: why: \"| pipes are fun\" (YAML: did not find expected comment or line "
        "break)")
INDENT = ("this line is indented 5 spaces, but the item '- Gur Shafriri' on line 7 is indented "
          "6; the entries of one list or mapping must start in the same column: indent this "
          "line 1 space more (YAML: did not find expected key)")
SECOND_COLON = ("a second ': ' on this line; YAML allows one, between the name and its value: "
                "put the whole value in quotes: - title: \"“Apple Pay”: in the Netherlands\" "
                "(YAML: mapping values are not allowed in this context)")
GOES_ON = ("this line has no ': '. If it goes on with the text of 'why' on line 18, indent it "
           "more than 'why' (or put that whole text in quotes on one line); if it is a new "
           "entry, write the name, ': ' and the value (YAML: could not find expected ':')")
BLOCK = ("this line is indented 4 spaces, less than the text block of 'why' that starts on "
         "line 10 (its lines are indented 6), so the block ends before this line; indent it 6 "
         "spaces to keep it in the text (YAML: could not find expected ':')")
NO_SPACE = ("there is no space after ':', so YAML reads 'team:Growth' as text, not as a name "
            "and its value; write team: Growth (YAML: could not find expected ':')")
OVER_INDENTED = ("this line is indented 5 spaces, 1 more than 'title' on line 15, so YAML reads "
                 "it as more of the text on that line; start it in the same column as 'title' "
                 "(4 spaces) (YAML: mapping values are not allowed in this context)")
QUOTE_INSIDE = ("the text ends at the closing quote (\") but goes on after it; to use a quote "
                "inside a text, put the whole text in the other kind of quotes: "
                "why: '\"One-click\" is now the default' (YAML: did not find expected key)")
LINK = ("a value that starts with '[' is read as a list, which ends at ']'; for text, put the "
        "whole text in quotes: - \"[Docs](https://example.com) for the new flow\" "
        "(YAML: did not find expected '-' indicator)")
BOLD = ("a value cannot start with '*' in YAML (it marks a reference to an '&' anchor); put the "
        "whole text in quotes: - \"**Hebrew** search\" (YAML: did not find expected alphabetic "
        "or numeric character)")
README_MESSAGES = [FIXES, NL_LAUNCH, REQUEST, RETRIES, AT, BACKTICK, PERCENT, PIPE, INDENT,
                   SECOND_COLON, GOES_ON, BLOCK, NO_SPACE, OVER_INDENTED, QUOTE_INSIDE, LINK,
                   BOLD]


# --- no text silently lost -------------------------------------------------------------


def test_an_issue_number_in_a_list_item_is_not_dropped_silently(project: Project,
                                                                 capsys: Cap) -> None:
    assert problems(project, capsys, "    features: [One-click pay]\n",
                    "    features:\n      - Fixes #4521 and #4533 from the backlog\n") == [
        f"{DECK}:18:15: {FIXES}"]


def test_a_hashtag_after_a_title_is_not_dropped_silently(project: Project, capsys: Cap) -> None:
    assert problems(project, capsys, "title: Faster checkout",
                    "title: Apple Pay in the Netherlands #NL launch") == [
        f"{DECK}:15:41: {NL_LAUNCH}"]


def test_a_hashtag_after_a_tab_is_not_dropped_silently(project: Project, capsys: Cap) -> None:
    assert problems(project, capsys, "title: Faster checkout", "title: Apple Pay\t#NL") == [
        f"{DECK}:15:{len('  - title: Apple Pay') + 2}: {DROPPED} {A_COMMENT}"]


def test_a_title_that_starts_with_a_hash_is_one_problem_not_an_empty_title(
        project: Project, capsys: Cap) -> None:
    assert problems(project, capsys, "title: Faster checkout",
                    "title: #1 request from customers") == [f"{DECK}:15:12: {REQUEST}"]


def test_a_quoted_title_with_a_hashtag_after_it_shows_the_text_in_one_pair_of_quotes(
        project: Project, capsys: Cap) -> None:
    assert problems(project, capsys, "title: Faster checkout",
                    'title: "Apple Pay" #NL launch') == [
        f'{DECK}:15:24: {DROPPED}: - title: "Apple Pay #NL launch" {A_COMMENT}']


def test_ordinary_comments_and_hashes_inside_text_are_no_problem(project: Project,
                                                                  capsys: Cap) -> None:
    project.write(DECK, "# The deck for the 23rd\n" + MINIMAL_DECK
                  .replace("title: Weekly Demo", "title: Weekly Demo   # required")
                  .replace("minutes: 5", "minutes: 5  # timebox")
                  .replace("title: Faster checkout", 'title: "Faster checkout #2"  #')
                  .replace("See [the RFC]", "Fixes #4521. See [the RFC]")
                  .replace("    why: Checkout took 9 steps.\n",
                           "    # why: #draft\n    why: 'Checkout took #9 steps.'\n")
                  + "#old: [x]\n")
    result = project.run("check", capsys=capsys)
    assert (result.code, result.err) == (0, "")


def test_the_example_decks_have_no_dropped_words(tmp_path: Path, capsys: Cap) -> None:
    project = Project(copy_examples(tmp_path))
    result = project.run("check", capsys=capsys)
    assert (result.code, result.err) == (0, "")


# --- a ': ' inside a text --------------------------------------------------------------


def test_a_colon_in_a_list_of_texts_is_explained_with_the_quoted_form(project: Project,
                                                                      capsys: Cap) -> None:
    assert problems(project, capsys, "features: [One-click pay]",
                    "features:\n      - One-click pay\n      - Retries: three attempts") == [
        f"{DECK}:19:9: demos[1].features[1]: {RETRIES}"]


def test_a_flow_mapping_where_text_belongs_gets_no_colon_hint(project: Project,
                                                              capsys: Cap) -> None:
    assert problems(project, capsys, "title: Weekly Demo", "title: {a: 1}") == [
        f"{DECK}:1:8: title: expected text, got a mapping"]


# --- libyaml's messages in plain words, at the line of the mistake ---------------------


def test_a_name_that_starts_with_at_says_to_quote_it(project: Project, capsys: Cap) -> None:
    assert problems(project, capsys, "      - Gur Shafriri", "      - @maria") == [
        f"{DECK}:7:9: {AT}"]


def test_a_backtick_at_the_start_of_a_value_says_to_quote_it(project: Project,
                                                             capsys: Cap) -> None:
    assert problems(project, capsys, "team: Discovery", "team: `search-api` squad") == [
        f"{DECK}:5:11: {BACKTICK}"]


def test_a_percent_sign_at_the_start_of_a_value_says_to_quote_it(project: Project,
                                                                 capsys: Cap) -> None:
    assert problems(project, capsys, "features: [One-click pay]",
                    "features:\n      - %40 fewer typos") == [f"{DECK}:18:9: {PERCENT}"]


def test_text_after_a_block_indicator_says_what_the_pipe_means(project: Project,
                                                               capsys: Cap) -> None:
    assert problems(project, capsys, "why: Checkout took 9 steps.",
                    "why: | pipes are fun") == [f"{DECK}:18:10: {PIPE}"]


def test_a_line_indented_unlike_its_siblings_says_by_how_much(project: Project,
                                                              capsys: Cap) -> None:
    assert problems(project, capsys, "      - {name: Ada", "     - {name: Ada") == [
        f"{DECK}:8:6: {INDENT}"]


def test_a_second_colon_on_a_line_says_to_quote_the_value(project: Project,
                                                          capsys: Cap) -> None:
    assert problems(project, capsys, "title: Faster checkout",
                    "title: “Apple Pay”: in the Netherlands") == [f"{DECK}:15:23: {SECOND_COLON}"]


def test_a_line_that_goes_on_with_the_text_above_is_explained(project: Project,
                                                              capsys: Cap) -> None:
    assert problems(project, capsys, "    why: Checkout took 9 steps.\n",
                    "    why: Checkout took 9 steps.\n    It was the slowest flow.\n") == [
        f"{DECK}:19:5: {GOES_ON}"]


def test_a_line_of_a_block_indented_too_little_is_reported_at_that_line(project: Project,
                                                                        capsys: Cap) -> None:
    # libyaml points at line 12, the line after the mistake
    assert problems(project, capsys, "See [the RFC](https://example.com/rfc/42).\n",
                    "See [the RFC](https://example.com/rfc/42).\n    And more.\n") == [
        f"{DECK}:12:5: {BLOCK}"]


def test_a_name_without_a_space_after_its_colon_is_reported_at_that_line(project: Project,
                                                                         capsys: Cap) -> None:
    # libyaml points at line 6, the line after the mistake
    assert problems(project, capsys, "team: Discovery", "team:Growth") == [
        f"{DECK}:5:5: {NO_SPACE}"]


def test_a_line_indented_more_than_the_one_above_it_is_explained(project: Project,
                                                                 capsys: Cap) -> None:
    assert problems(project, capsys, "    people: [Zoë Quinn]", "     people: [Zoë Quinn]") == [
        f"{DECK}:16:6: {OVER_INDENTED}"]


def test_a_quote_inside_a_quoted_text_says_to_use_the_other_quotes(project: Project,
                                                                   capsys: Cap) -> None:
    assert problems(project, capsys, "why: Checkout took 9 steps.",
                    'why: "One-click" is now the default') == [f"{DECK}:18:20: {QUOTE_INSIDE}"]


def test_a_markdown_link_at_the_start_of_an_item_says_to_quote_it(project: Project,
                                                                  capsys: Cap) -> None:
    assert problems(project, capsys, "features: [One-click pay]",
                    "features:\n      - [Docs](https://example.com) for the new flow") == [
        f"{DECK}:18:9: {LINK}"]


def test_markdown_bold_at_the_start_of_an_item_says_to_quote_it(project: Project,
                                                                capsys: Cap) -> None:
    assert problems(project, capsys, "features: [One-click pay]",
                    "features:\n      - **Hebrew** search") == [f"{DECK}:18:9: {BOLD}"]


def test_a_mistake_with_no_plain_words_keeps_libyamls_message(project: Project,
                                                               capsys: Cap) -> None:
    assert problems(project, capsys, "hosts: [Grace Hopper]", "hosts: [Grace Hopper") == [
        f"{DECK}:3:6: YAML syntax error: did not find expected ',' or ']' "
        "(while parsing a flow sequence)"]


def test_the_readme_shows_each_message_as_demodeck_prints_it() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = re.findall(r"^\| .* \| `` (.*) `` \|$", readme, re.M)
    assert table == [message.replace("|", "\\|") for message in README_MESSAGES]


def test_a_quoted_form_uses_the_quotes_that_need_no_escapes() -> None:
    assert yaml_hints.quoted("it's") == '"it\'s"'
    assert yaml_hints.quoted('"One-click" now') == "'\"One-click\" now'"
    assert yaml_hints.quoted("it's \"x\" \\") == '"it\'s \\"x\\" \\\\"'
    assert yaml_hints.quoted("two\nlines") is None
