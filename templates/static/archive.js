/* demodeck built-in theme: the archive's filter box (index.html).

   Progressive: the form ships `hidden` and this script shows it, so without
   JavaScript the whole archive is listed. Everything works from file:// and
   offline: the page's own markup is the index, nothing is fetched.

   A demo matches when every word typed appears in its title, team or
   presenters, or in its deck's title or date. Matching ignores case and
   accents ("zoe" finds "Zoë", "soren" finds "Søren"). Text only ever goes
   into the page through textContent.

   Full-text search: the first time the box is used, the script named by the
   form's data-search-index (search-index.js, which sets
   window.demodeckSearchIndex; a script, not JSON, so it loads from file://)
   is added to the page. From then on every query also lists the slides whose
   title, presenters, team, features, why, could-be-better or retro items hold
   every word, with a snippet, linking to <date>/index.html#<slide>. Folding
   matches demodeck/search.py fold(): case, accents, Hebrew niqqud, Arabic
   harakat and tatweel, and alef forms (أ إ آ ٱ → ا) don't matter. */
(function () {
  "use strict";

  // Letters that carry no combining mark to strip but that people type without one,
  // the same as demodeck's person slugs.
  var LATIN = { "ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ł": "l", "þ": "th",
                "œ": "oe", "ð": "d", "ı": "i" };
  var MARKS = /\p{M}+/gu;
  // The search's own folding (the twin of demodeck/search.py fold): NFKD, so
  // ligatures and Arabic presentation forms split too, and a few more letters.
  var EXTRA = { "ς": "σ", "ٱ": "ا", "ـ": "" };
  var SPECIAL = /[øæßđłþœðıςٱـ]/g;
  var MAX_HITS = 50;

  var NON_ASCII = /[^\x00-\x7f\u00b7]/; // "·" joins items: it folds to itself

  function searchFold(text) {
    // Most of an archive is ASCII, which lowercasing alone folds: 5x quicker at load.
    if (!NON_ASCII.test(text)) return text.toLowerCase();
    return text.toLowerCase().normalize("NFKD").replace(MARKS, "")
      .replace(SPECIAL, function (c) { return c in EXTRA ? EXTRA[c] : LATIN[c]; });
  }

  // searchFold with, for each character out, the index of the character in
  // `text` it came from: a snippet highlights the original text.
  function foldMapped(text) {
    var out = "", from = [];
    for (var i = 0; i < text.length;) {
      var code = text.codePointAt(i), size = code > 0xffff ? 2 : 1;
      var folded = searchFold(text.slice(i, i + size));
      for (var k = 0; k < folded.length; k++) from.push(i);
      out += folded;
      i += size;
    }
    from.push(text.length);
    return { text: out, from: from };
  }

  function fold(text) {
    return text.toLowerCase().normalize("NFD").replace(MARKS, "")
      .replace(/[øæßđłþœðı]/g, function (c) { return LATIN[c]; })
      .replace(/\s+/g, " ").trim();
  }

  function plural(n, one, many) {
    return n + " " + (n === 1 ? one : many);
  }

  // The full-text part: loads the index on demand and lists the slides that match.
  // show(query) returns how many slides match, or null while there is no index.
  function fullText(form, loaded) {
    var section = document.querySelector("[data-search-results]");
    var list = document.querySelector("[data-search-hits]");
    var title = document.querySelector("[data-search-results-title]");
    var url = form.getAttribute("data-search-index");
    var index = null, requested = false;
    var none = { load: function () {}, show: function () { return null; } };
    if (!section || !list || !title || !url) return none;

    function prepare(data) {
      var people = data.people, decks = data.decks;
      return data.entries.map(function (e) {
        var deck = decks[e[0]];
        var names = e[3].map(function (i) { return people[i]; }).join(", ");
        return {
          date: deck[0], deckTitle: deck[1], id: e[1], title: e[2], people: names,
          team: e[4], text: e[5],
          haystack: searchFold([deck[0], deck[1], e[2], names, e[4], e[5]].join(" \n "))
        };
      });
    }

    function load() {
      if (requested) return;
      requested = true;
      var script = document.createElement("script");
      script.src = url;
      script.onload = function () {
        var data = window.demodeckSearchIndex;
        if (!data || data.v !== 1) return;
        index = prepare(data);
        loaded();
      };
      document.head.appendChild(script);
    }

    // The original text around the first hit, every word highlighted with <mark>.
    function snippet(text, words) {
      var mapped = foldMapped(text), hay = mapped.text, ranges = [];
      words.forEach(function (w) {
        for (var at = hay.indexOf(w); at !== -1; at = hay.indexOf(w, at + w.length)) {
          ranges.push([mapped.from[at], mapped.from[at + w.length]]);
        }
      });
      if (!ranges.length) return null;
      ranges.sort(function (a, b) { return a[0] - b[0]; });
      var start = Math.max(0, ranges[0][0] - 60), end = Math.min(text.length, ranges[0][1] + 120);
      while (start > 0 && !/\s/.test(text[start - 1])) start--;
      while (end < text.length && !/\s/.test(text[end])) end++;
      var p = document.createElement("p");
      p.className = "search-snippet";
      p.dir = "auto";
      var pos = start;
      if (start > 0) p.appendChild(document.createTextNode("\u2026 "));
      ranges.forEach(function (r) {
        if (r[0] < pos || r[1] > end) return; // overlapping, or past the snippet
        p.appendChild(document.createTextNode(text.slice(pos, r[0])));
        var mark = document.createElement("mark");
        mark.textContent = text.slice(r[0], r[1]);
        p.appendChild(mark);
        pos = r[1];
      });
      p.appendChild(document.createTextNode(text.slice(pos, end) + (end < text.length ? " \u2026" : "")));
      return p;
    }

    function hit(entry, words) {
      var li = document.createElement("li");
      li.className = "search-hit";
      var a = document.createElement("a");
      a.className = "search-hit-title";
      a.href = entry.date + "/index.html#" + entry.id; // a slug: \w and "-" only
      a.dir = "auto";
      a.textContent = entry.title;
      var meta = document.createElement("p");
      meta.className = "search-hit-meta";
      var time = document.createElement("time");
      time.dateTime = entry.date;
      time.textContent = entry.date;
      meta.appendChild(time);
      var by = [entry.deckTitle, entry.team, entry.people].filter(Boolean).join(" \u00b7 ");
      meta.appendChild(document.createTextNode(" \u00b7 " + by));
      li.appendChild(a);
      li.appendChild(meta);
      var shown = snippet(entry.text, words);
      if (shown) li.appendChild(shown);
      return li;
    }

    function show(query) {
      if (!index) return null;
      var words = searchFold(query).split(/\s+/).filter(Boolean);
      list.textContent = "";
      if (!words.length) { section.hidden = true; return 0; }
      var found = index.filter(function (entry) {
        for (var i = 0; i < words.length; i++) {
          if (entry.haystack.indexOf(words[i]) === -1) return false;
        }
        return true;
      });
      section.hidden = found.length === 0;
      var fragment = document.createDocumentFragment();
      found.slice(0, MAX_HITS).forEach(function (entry) { fragment.appendChild(hit(entry, words)); });
      list.appendChild(fragment);
      title.textContent = plural(found.length, "slide mentions", "slides mention") +
        " \u201c" + query + "\u201d" +
        (found.length > MAX_HITS ? "; the newest " + MAX_HITS + " are listed" : "");
      return found.length;
    }

    return { load: load, show: show };
  }

  function init() {
    var form = document.querySelector("[data-filter]");
    if (!form) return;
    var input = form.querySelector("input");
    var status = form.querySelector("[data-filter-status]");
    var empty = document.querySelector("[data-filter-empty]");
    var emptyText = document.querySelector("[data-filter-empty-text]");
    var clear = document.querySelector("[data-filter-clear]");

    // Read the page once: quarters → decks → demos, each with its folded text.
    var quarters = Array.prototype.map.call(document.querySelectorAll("[data-quarter]"),
      function (section) {
        return {
          el: section,
          decks: Array.prototype.map.call(section.querySelectorAll("[data-deck]"),
            function (deck) {
              var own = Array.prototype.map.call(deck.querySelectorAll("[data-deck-text]"),
                function (el) { return el.textContent + " " + (el.getAttribute("datetime") || ""); });
              return {
                el: deck,
                text: fold(own.join(" ")),
                demos: Array.prototype.map.call(deck.querySelectorAll("[data-demo]"),
                  function (demo) { return { el: demo, text: fold(demo.textContent) }; })
              };
            })
        };
      });
    var totalDecks = 0, totalDemos = 0;
    quarters.forEach(function (q) {
      totalDecks += q.decks.length;
      q.decks.forEach(function (d) { totalDemos += d.demos.length; });
    });

    function matches(words, text) {
      for (var i = 0; i < words.length; i++) {
        if (text.indexOf(words[i]) === -1) return false;
      }
      return true;
    }

    var timer = 0;
    function announce(text) {
      // A pause after typing before the live region changes, so a screen reader
      // reads one count instead of one per keystroke.
      clearTimeout(timer);
      timer = setTimeout(function () { status.textContent = text; }, 250);
    }

    var search = fullText(form, function () { apply(true, true); });

    function apply(quiet, searchOnly) {
      var query = input.value.trim();
      var words = fold(query).split(" ").filter(Boolean);
      var slides = search.show(query);
      if (searchOnly && (!words.length || slides === null)) return;
      var decks = 0, demos = 0;
      quarters.forEach(function (q) {
        var shownInQuarter = 0;
        q.decks.forEach(function (deck) {
          var shown = 0;
          deck.demos.forEach(function (demo) {
            var hit = matches(words, deck.text + " " + demo.text);
            demo.el.hidden = !hit;
            if (hit) shown++;
          });
          var deckHit = shown > 0 || (deck.demos.length === 0 && matches(words, deck.text));
          deck.el.hidden = !deckHit;
          if (deckHit) { decks++; shownInQuarter++; }
          demos += shown;
        });
        q.el.hidden = shownInQuarter === 0;
      });
      form.classList.toggle("filter--active", words.length > 0);
      if (empty) empty.hidden = decks > 0 || slides > 0;
      // What the slides' text adds, once the index is in: "; 3 slides mention it".
      var more = slides ? "; " + plural(slides, "slide mentions", "slides mention") + " it" : "";
      if (!words.length) {
        if (quiet === true) return; // opening the page is not news
        announce("Showing all " + plural(totalDemos, "demo", "demos") + " in " +
                 plural(totalDecks, "deck", "decks"));
      } else if (decks === 0) {
        if (emptyText) emptyText.textContent = "No demo matches \u201c" + query + "\u201d.";
        announce("No demo matches \u201c" + query + "\u201d" + more);
      } else {
        announce(plural(demos, "demo", "demos") + " in " + plural(decks, "deck", "decks") +
                 " match \u201c" + query + "\u201d" + more);
      }
    }

    function reset() {
      input.value = "";
      apply(false);
      input.focus();
    }

    input.addEventListener("input", function () { search.load(); apply(false); });
    input.addEventListener("focus", search.load);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && input.value) {
        event.preventDefault();
        reset();
      }
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    if (clear) clear.addEventListener("click", reset);

    // "/" jumps to the filter from anywhere but a text field.
    document.addEventListener("keydown", function (event) {
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
      var t = event.target;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      event.preventDefault();
      input.focus();
      input.select();
    });

    // A link like index.html?q=search opens filtered; a restored page keeps its filter.
    var initial = new URLSearchParams(location.search).get("q");
    if (initial && !input.value) input.value = initial;
    if (input.value.trim()) search.load();
    form.hidden = false;
    apply(true);
    window.addEventListener("pageshow", function () { apply(true); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
