/* demodeck built-in theme: the archive's filter box (index.html).

   Progressive: the form ships `hidden` and this script shows it, so without
   JavaScript the whole archive is listed. Everything works from file:// and
   offline: the page's own markup is the index, nothing is fetched.

   A demo matches when every word typed appears in its title, team or
   presenters, or in its deck's title or date. Matching ignores case and
   accents ("zoe" finds "Zoë", "soren" finds "Søren"). Text only ever goes
   into the page through textContent. */
(function () {
  "use strict";

  // Letters that carry no combining mark to strip but that people type without one,
  // the same as demodeck's person slugs.
  var LATIN = { "ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ł": "l", "þ": "th",
                "œ": "oe", "ð": "d", "ı": "i" };
  var MARKS = /\p{M}+/gu;

  function fold(text) {
    return text.toLowerCase().normalize("NFD").replace(MARKS, "")
      .replace(/[øæßđłþœðı]/g, function (c) { return LATIN[c]; })
      .replace(/\s+/g, " ").trim();
  }

  function plural(n, one, many) {
    return n + " " + (n === 1 ? one : many);
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

    function apply(quiet) {
      var query = input.value.trim();
      var words = fold(query).split(" ").filter(Boolean);
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
      if (empty) empty.hidden = decks > 0;
      if (!words.length) {
        if (quiet === true) return; // opening the page is not news
        announce("Showing all " + plural(totalDemos, "demo", "demos") + " in " +
                 plural(totalDecks, "deck", "decks"));
      } else if (decks === 0) {
        if (emptyText) emptyText.textContent = "No demo matches \u201c" + query + "\u201d.";
        announce("No demo matches \u201c" + query + "\u201d");
      } else {
        announce(plural(demos, "demo", "demos") + " in " + plural(decks, "deck", "decks") +
                 " match \u201c" + query + "\u201d");
      }
    }

    function reset() {
      input.value = "";
      apply(false);
      input.focus();
    }

    input.addEventListener("input", function () { apply(false); });
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
