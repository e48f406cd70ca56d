/* demodeck built-in theme: the archive's filter box (index.html).

   Progressive: the form ships `hidden` and this script shows it, so without
   JavaScript the whole archive is listed. Everything works from file:// and
   offline: the page's own markup is the index, nothing is fetched.

   A demo matches when every word typed appears in its title, team or
   presenters, or in its deck's title or date. Matching ignores case and
   accents ("zoe" finds "Zoë", "soren" finds "Søren"). Text only ever goes
   into the page through textContent.

   Full-text search: the first time the box is used, the scripts named by the
   form's data-search-index and data-search-years (search/2026.js, ..., each
   setting its year of window.demodeckSearchIndex; scripts, not JSON, so they
   load from file://) are added to the page. From then on every query also
   lists the slides whose title, presenters, team, features, why,
   could-be-better or retro items hold every word, with a snippet, linking to
   <date>/index.html#<slide>. Folding matches demodeck/search.py fold(): case,
   accents, Hebrew niqqud, Arabic harakat and tatweel, and alef forms
   (أ إ آ ٱ → ا) don't matter. */
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
    // Most of an archive is ASCII, which lowercasing alone folds, and far quicker.
    if (!NON_ASCII.test(text)) return text.toLowerCase();
    return text.toLowerCase().normalize("NFKD").replace(MARKS, "")
      .replace(SPECIAL, function (c) { return c in EXTRA ? EXTRA[c] : LATIN[c]; });
  }

  // searchFold with, for each character out, the index of the character in
  // `text` it came from: a snippet highlights the original text.
  function foldMapped(text) {
    var out = "", from = [];
    if (!NON_ASCII.test(text)) { // lowercased, each character stays where it was
      for (var j = 0; j <= text.length; j++) from.push(j);
      return { text: text.toLowerCase(), from: from };
    }
    for (var i = 0; i < text.length;) {
      var code = text.codePointAt(i), size = code > 0xffff ? 2 : 1;
      var folded = code < 0x80 ? text[i].toLowerCase() : searchFold(text.slice(i, i + size));
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
    var folder = form.getAttribute("data-search-index"); // "search/": a script a year
    var names = (form.getAttribute("data-search-years") || "").split(" ").filter(Boolean);
    var years = null, requested = false;
    var none = { load: function () {}, show: function () { return null; } };
    if (!section || !list || !title || !folder || !names.length) return none;

    // One year of the index (demodeck/search.py year_data), ready to search. A slide
    // is four fields (title, team, presenters, text), each a string of one character
    // per word, whose code is the word's line in `words`: each word is folded once.
    function prepare(data) {
      var year = {
        words: data.words.split("\n"),
        folded: searchFold(data.words).split("\n"),
        text: data.text,
        fields: null, // the text split in fields, once a slide of the year is shown
        ids: data.slides.split(" "),
        decks: data.decks, // [date, title, how many slides]
        deckText: data.decks.map(function (d) { return searchFold(d[0] + " " + d[1]); }),
        deckOf: [] // each slide's place in decks
      };
      data.decks.forEach(function (d, i) {
        for (var k = 0; k < d[2]; k++) year.deckOf.push(i);
      });
      return year;
    }

    // Every year's script (search/2026.js, ...) loads side by side, each setting its
    // part of window.demodeckSearchIndex; the index is ready when all have.
    function load() {
      if (requested) return;
      requested = true;
      var index = window.demodeckSearchIndex = {}, waiting = names.length;
      names.forEach(function (name) {
        var script = document.createElement("script");
        script.src = folder + name + ".js";
        script.onload = function () {
          if (--waiting) return;
          years = names.map(function (y) { return prepare(index[y]); });
          form.setAttribute("data-search-ready", "");
          loaded();
        };
        document.head.appendChild(script);
      });
    }

    // For one folded word typed: which of a year's words and decks hold it.
    function holders(year, word) {
      function has(text) { return text.indexOf(word) !== -1; }
      var marked = new Uint8Array(year.folded.length);
      year.folded.forEach(function (w, code) { if (has(w)) marked[code] = 1; });
      return { words: marked, decks: year.deckText.map(has) };
    }

    // Which slides of a year hold a word that `h` marked, in their own text or their
    // deck's title or date: one pass over the year's text (four fields a slide).
    function slidesHolding(year, h) {
      var text = year.text, found = new Uint8Array(year.deckOf.length), spaces = 0;
      for (var k = 0; k < text.length; k++) {
        var code = text.charCodeAt(k);
        if (code === 32) { spaces++; continue; }
        if (code >= 0xd800 && code < 0xdc00) code = text.codePointAt(k++); // past U+FFFF
        if (h.words[code]) found[spaces >> 2] = 1;
      }
      year.deckOf.forEach(function (deck, i) { if (h.decks[deck]) found[i] = 1; });
      return found;
    }

    // Slide i of a year as a hit shows it, its fields spelled out.
    function shown(year, i) {
      var deck = year.decks[year.deckOf[i]];
      year.fields = year.fields || year.text.split(" ");
      function field(f) {
        return Array.from(year.fields[4 * i + f], function (c) {
          return year.words[c.codePointAt(0)];
        }).join(" ");
      }
      return { date: deck[0], deckTitle: deck[1], id: year.ids[i], title: field(0),
               team: field(1), people: field(2), text: field(3) };
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
      if (!years) return null;
      var typed = searchFold(query).split(/\s+/).filter(Boolean);
      list.textContent = "";
      if (!typed.length) { section.hidden = true; return 0; }
      var found = [];
      years.forEach(function (year) {
        var holding = typed.map(function (w) { return slidesHolding(year, holders(year, w)); });
        year.deckOf.forEach(function (_, i) {
          if (holding.every(function (slides) { return slides[i]; })) found.push([year, i]);
        });
      });
      section.hidden = found.length === 0;
      var fragment = document.createDocumentFragment();
      found.slice(0, MAX_HITS).forEach(function (f) {
        fragment.appendChild(hit(shown(f[0], f[1]), typed));
      });
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
              var text = fold(own.join(" "));
              return {
                el: deck,
                text: text,
                demos: Array.prototype.map.call(deck.querySelectorAll("[data-demo]"),
                  function (demo) { return { el: demo, text: text + " " + fold(demo.textContent) }; })
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

    var listed = { decks: totalDecks, demos: totalDemos }; // what the list shows

    // Show the demos (with their decks and quarters) that hold every word, only them.
    function narrow(words) {
      var decks = 0, demos = 0;
      quarters.forEach(function (q) {
        var shownInQuarter = 0;
        q.decks.forEach(function (deck) {
          var shown = 0;
          deck.demos.forEach(function (demo) {
            var hit = matches(words, demo.text);
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
      listed = { decks: decks, demos: demos };
    }

    // searchOnly: the full-text index has just come in; the list already shows the query.
    function apply(quiet, searchOnly) {
      var query = input.value.trim();
      var words = fold(query).split(" ").filter(Boolean);
      var slides = search.show(query);
      if (searchOnly && (!words.length || slides === null)) return;
      if (!searchOnly) narrow(words);
      var decks = listed.decks, demos = listed.demos;
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
