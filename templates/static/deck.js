/* demodeck built-in theme: the slide runtime.
 *
 * Plain script, no modules and no network, so a deck opened from file:// works.
 * Loaded in <head> without `defer` so the `js` class is on <html> before the
 * first paint (no flash of stacked slides); everything else waits for the DOM.
 *
 * Views: the slides; an overview of every slide ("o" or Esc); the keyboard help
 * ("?"); and the presenter view ("s", or ?presenter in the URL), a second window
 * with the current and next slide, the speaker notes, a clock, the time since
 * the start and the demo's timebox. The windows follow each other through a
 * BroadcastChannel, with postMessage between opener and popup and a
 * localStorage event as fallbacks. Time is read from Date.now() on every tick,
 * so a test's fake clock drives the timers.
 *
 * Public API, for themes and tests:
 *   demodeck.slides          array of <section class="slide"> elements
 *   demodeck.current()       index of the current slide
 *   demodeck.go(target)      go to an index, a slide id, or a slide element
 *   demodeck.next(), .prev()
 *   demodeck.on("change", fn)          fn({index, previous, id, slide})
 *   demodeck.key(keys, fn, help, group)  bind keys; `help` and `group` feed the "?" help
 *   demodeck.keys            the bindings, [{keys, help, group}], in order
 *   demodeck.fit(slide?)     re-run shrink-to-fit after changing a slide's content
 *   demodeck.overview(open?), demodeck.help(open?)   toggle, or force open/closed
 *   demodeck.presenter()     open (or focus) the presenter window; returns it or null
 *   demodeck.isPresenter     true in the presenter window
 * A "demodeck:change" CustomEvent is also dispatched on document.
 */
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.add("js");

  var WIDTH = 1280;
  var HEIGHT = 720;
  // How a crowded slide is shrunk (fitSlide). `demodeck check` reads these five
  // from this file to predict it (demodeck/sizes.py): keep each a JSON value on
  // one line.
  var FLOOR_PX = 18; // the smallest readable body text, in px of the 1280×720 slide
  var MIN_FIT = 0.5; // never shrink a slide's text below half its designed size
  var FIT_STEPS = 8; // halvings of the search for the largest --fit that fits
  var SLACK_PX = 1; // a slide may overflow by this much (rounding) and still fit
  // Layout knobs a slide's CSS may define, tried in order before any text is
  // shrunk: e.g. a demo slide gives its screenshot less room first.
  var SQUEEZE = [["--media", ["44%", "38%"]]];
  // The controls' band at the foot of the window (screen px): 14 px of margin, the
  // 32 px buttons, and a gap. A slide keeps its text out of it (fitSlide).
  var CONTROLS_PX = 54;
  // Text read at a glance, which may be smaller than FLOOR_PX: every other text on a
  // slide is body text, and the floor is kept for it.
  var LABELS = ".kicker, .label, .part, .avatar, .person-name, .person-role, .links, " +
    ".timebox, .badge, .owner, .action-status, .agenda-people, .agenda-minutes, " +
    ".agenda-total, .shot--video figcaption, " +
    ".thanks-foot, .experiments th, .metric-delta, .metric-unit, .visually-hidden, .notes";
  var IDLE_MS = 2500;
  var TICK_MS = 250; // presenter clocks
  var WARN_MS = 60 * 1000; // the timebox turns amber with this much left

  var params = /[?&]presenter(=|&|$)/.test(location.search);
  var slides = [];
  var index = -1;
  var listeners = [];
  var bindings = []; // [{keys: [...], run: fn, help: "...", group: "..."}]
  var ui = {};
  var controlsRoom = 0; // design px a slide keeps free at its foot, for the controls

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ---- Navigation --------------------------------------------------------

  function resolve(target) {
    if (typeof target === "number") {
      return Math.max(0, Math.min(slides.length - 1, Math.floor(target)));
    }
    if (typeof target === "string") {
      for (var i = 0; i < slides.length; i++) {
        if (slides[i].id === target) return i;
      }
      return -1;
    }
    return slides.indexOf(target);
  }

  function go(target) {
    var next = resolve(target);
    if (next < 0 || !slides.length) return false;
    if (next === index) return true;
    var previous = index;
    index = next;
    if (slides[index].fitRoom !== controlsRoom) fitSlide(slides[index]); // the window changed
    slides.forEach(function (slide, i) {
      slide.classList.toggle("is-active", i === index);
      slide.classList.toggle("is-past", i < index);
    });
    var focused = document.activeElement;
    if (focused && focused !== document.body && !slides[index].contains(focused) &&
        focused.closest && focused.closest(".slide")) {
      focused.blur(); // don't leave focus inside a slide that is now hidden
    }
    writeHash(slides[index].id);
    updateChrome(previous >= 0);
    if (previous >= 0) pauseVideos(slides[previous]);
    var detail = { index: index, previous: previous, id: slides[index].id, slide: slides[index] };
    listeners.forEach(function (fn) { fn(detail); });
    document.dispatchEvent(new CustomEvent("demodeck:change", { detail: detail }));
    return true;
  }

  // A recording stops when its slide is left: no sound from a slide nobody sees.
  function pauseVideos(slide) {
    each(slide.querySelectorAll("video"), function (v) { if (!v.paused) v.pause(); });
  }

  function next() { return go(index + 1); }
  function prev() { return go(index - 1); }

  // ---- URL hash: names the current slide, so reloads and links land there --

  function readHash() {
    var raw = location.hash.replace(/^#/, "");
    try { return decodeURIComponent(raw); } catch (e) { return raw; }
  }

  function writeHash(id) {
    if (readHash() === id) return;
    var hash = "#" + encodeURIComponent(id);
    try {
      history.replaceState(history.state, "", hash);
    } catch (e) {
      location.replace(hash); // fires hashchange, which is a no-op for the same slide
    }
  }

  function onHashChange() {
    var id = readHash();
    if (id && resolve(id) >= 0) go(id);
  }

  // ---- Chrome: progress bar, counter, live region, buttons ---------------

  function slideTitle(slide) {
    var heading = slide.querySelector("h1, h2");
    return heading ? heading.textContent.replace(/\s+/g, " ").trim() : slide.id;
  }

  function announce(text) {
    if (ui.live) ui.live.textContent = text;
  }

  function updateChrome(changed) {
    var total = slides.length;
    var ratio = total > 1 ? index / (total - 1) : 1;
    root.style.setProperty("--progress", String(ratio));
    if (ui.current) ui.current.textContent = String(index + 1);
    if (ui.total) ui.total.textContent = String(total);
    if (ui.prev) ui.prev.disabled = index === 0;
    if (ui.next) ui.next.disabled = index === total - 1;
    if (changed) {
      announce("Slide " + (index + 1) + " of " + total + ": " + slideTitle(slides[index]));
    }
  }

  // ---- Scaling the 1280×720 stage, and shrinking crowded slides ------------

  // Scale factor that fits the stage into a box (letterboxed).
  function scaleFor(width, height) {
    var scale = Math.min(width / WIDTH, height / HEIGHT);
    return scale > 0 ? scale : 1;
  }

  // The window's size is the root element's client box, not innerWidth: a phone
  // widens its layout viewport to whatever overflows, and the stage must not
  // chase that.
  function layout() {
    var room = 0;
    if (presenter.frame) {
      var box = presenter.frame.getBoundingClientRect();
      root.style.setProperty("--scale", String(scaleFor(box.width, box.height)));
      presenter.scaleNext();
    } else {
      var height = root.clientHeight;
      var scale = scaleFor(root.clientWidth, height);
      root.style.setProperty("--scale", String(scale));
      // Where the letterbox under the stage is too short for the controls, the
      // slides make up the rest inside their bottom padding.
      var below = (height - HEIGHT * scale) / 2;
      room = Math.ceil(Math.max(0, CONTROLS_PX - below) / scale);
    }
    if (room !== controlsRoom) {
      controlsRoom = room;
      if (index >= 0) fitSlide(slides[index]); // the others when they are shown (go)
    }
    overview.scale();
  }

  function overflows(el) {
    return el.scrollHeight > el.clientHeight + SLACK_PX || el.scrollWidth > el.clientWidth + SLACK_PX;
  }

  // The smallest body text of a slide (not LABELS), in px of the slide as designed.
  function smallestText(slide) {
    var smallest = Infinity;
    var walker = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      var parent = node.parentElement;
      if (!parent || !node.nodeValue.trim() || parent.closest(LABELS)) continue;
      smallest = Math.min(smallest, parseFloat(getComputedStyle(parent).fontSize) || Infinity);
    }
    return smallest;
  }

  // First loosen the layout (SQUEEZE), then lower --fit (the slide's
  // font-size factor; everything inside is in em) until the content fits, but
  // not so far that body text gets smaller than FLOOR_PX. Only when even that
  // is too big does the text go under the floor (the slide gets
  // `is-below-floor`; `demodeck check` and `build` warn about it beforehand),
  // down to MIN_FIT; past that the slide scrolls, rather than cutting text off.
  function fitSlide(slide) {
    slide.style.removeProperty("--fit");
    SQUEEZE.forEach(function (knob) { slide.style.removeProperty(knob[0]); });
    slide.classList.remove("is-overflowing", "is-below-floor");
    keepRoom(slide);
    fitLines(slide);
    if (!overflows(slide)) return;
    var style = getComputedStyle(slide);
    for (var k = 0; k < SQUEEZE.length; k++) {
      if (!style.getPropertyValue(SQUEEZE[k][0]).trim()) continue; // not used by this slide
      for (var v = 0; v < SQUEEZE[k][1].length; v++) {
        slide.style.setProperty(SQUEEZE[k][0], SQUEEZE[k][1][v]);
        if (!overflows(slide)) return;
      }
    }
    var floor = Math.max(MIN_FIT, Math.min(1, FLOOR_PX / smallestText(slide)));
    slide.style.setProperty("--fit", floor.toFixed(4));
    var lo = floor;
    var hi = 1;
    if (overflows(slide)) {
      lo = MIN_FIT;
      hi = floor;
      slide.classList.add("is-below-floor");
      if (window.console) console.warn("demodeck: slide #" + slide.id + " is shrunk below the readable floor");
    }
    for (var i = 0; i < FIT_STEPS; i++) {
      var mid = (lo + hi) / 2;
      slide.style.setProperty("--fit", mid.toFixed(4));
      if (overflows(slide)) hi = mid; else lo = mid;
    }
    slide.style.setProperty("--fit", lo.toFixed(4));
    if (overflows(slide)) {
      slide.classList.add("is-overflowing");
      if (window.console) console.warn("demodeck: slide #" + slide.id + " has more content than fits");
    }
  }

  // The slide's bottom padding, at least controlsRoom: kept in em (as the
  // theme sets it) so that it shrinks with --fit, never below the room. On
  // screen only (deck.css, .keeps-room): a printed page has no controls.
  function keepRoom(slide) {
    slide.classList.remove("keeps-room");
    slide.style.removeProperty("--foot-room");
    slide.fitRoom = controlsRoom;
    if (!controlsRoom) return;
    var style = getComputedStyle(slide);
    var em = parseFloat(style.paddingBottom) / parseFloat(style.fontSize);
    slide.style.setProperty("--foot-room", "max(" + em.toFixed(3) + "em, " + controlsRoom + "px)");
    slide.classList.add("keeps-room");
  }

  // One-line elements (big metric numbers) shrink on their own first.
  function fitLines(slide) {
    var lines = slide.querySelectorAll(".metric-value, [data-fit-line]");
    each(lines, function (el) {
      el.style.removeProperty("font-size");
      var size = parseFloat(getComputedStyle(el).fontSize);
      var guard = 0;
      while (el.scrollWidth > el.clientWidth + 1 && size > 12 && guard++ < 40) {
        size *= 0.93;
        el.style.fontSize = size.toFixed(1) + "px";
      }
    });
  }

  function fit(slide) {
    (slide ? [slide] : slides).forEach(fitSlide);
    presenter.refresh();
    overview.invalidate();
  }

  // A copy of a slide for a preview: no ids (they must stay unique, and the
  // live preview of `demodeck serve` finds slides by id), inert and hidden
  // from assistive technology, since the real slide is announced instead.
  function mirror(slide) {
    var copy = slide.cloneNode(true);
    copy.removeAttribute("id");
    copy.removeAttribute("aria-labelledby");
    each(copy.querySelectorAll("[id]"), function (n) { n.removeAttribute("id"); });
    each(copy.querySelectorAll("aside.notes"), function (n) { n.remove(); });
    // A recorded demo in a preview: its poster only, silent, never fetched or played.
    each(copy.querySelectorAll("video"), function (v) {
      v.muted = true;
      v.setAttribute("muted", "");
      v.removeAttribute("controls");
      v.setAttribute("preload", "none");
    });
    copy.classList.add("is-active");
    copy.classList.remove("is-past");
    var stage = el("div", "stage");
    stage.setAttribute("aria-hidden", "true");
    stage.inert = true;
    stage.appendChild(copy);
    return stage;
  }

  // ---- Dialogs: overview and keyboard help ---------------------------------

  var openDialog = null;
  var returnFocus = null;

  function dialog(className, title, closeLabel) {
    var box = el("dialog", "dd-dialog " + className);
    var id = "dd-" + className + "-title";
    box.setAttribute("aria-labelledby", id);
    var head = el("header", "dd-dialog-head");
    var h = el("h2", "", title);
    h.id = id;
    var close = el("button", "dd-close");
    close.type = "button";
    close.setAttribute("aria-label", closeLabel);
    close.innerHTML = '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">' +
      '<path d="M6 6l12 12M18 6L6 18"/></svg>';
    close.addEventListener("click", function () { closeDialogs(); });
    head.appendChild(h);
    head.appendChild(close);
    box.appendChild(head);
    box.addEventListener("cancel", function (event) { event.preventDefault(); closeDialogs(); });
    box.addEventListener("click", function (event) {
      if (event.target === box) closeDialogs(); // the backdrop
    });
    document.body.appendChild(box);
    return box;
  }

  function showDialog(box, focus) {
    if (openDialog === box) return;
    var keep = openDialog ? returnFocus : document.activeElement;
    closeDialogs(true);
    returnFocus = keep;
    openDialog = box;
    if (box.showModal) box.showModal(); else box.setAttribute("open", "");
    root.classList.add("has-dialog");
    if (focus) focus.focus();
  }

  function closeDialogs(quiet) {
    var box = openDialog;
    if (!box) return;
    openDialog = null;
    if (box.close) box.close(); else box.removeAttribute("open");
    root.classList.remove("has-dialog");
    if (quiet) return;
    var back = returnFocus;
    returnFocus = null;
    if (back && back.focus && document.contains(back) && back !== document.body &&
        !(back.closest && back.closest(".slide:not(.is-active)"))) {
      back.focus();
    }
  }

  var overview = {
    box: null,
    grid: null,
    stale: true,

    build: function () {
      var box = this.box || dialog("overview", "All slides", "Close the overview");
      this.box = box;
      var grid = this.grid;
      if (!grid) {
        grid = this.grid = el("ol", "overview-grid");
        box.appendChild(grid);
        grid.addEventListener("keydown", function (event) { overview.onKey(event); });
      }
      grid.textContent = "";
      slides.forEach(function (slide, i) {
        var item = el("li");
        var button = el("button", "thumb");
        button.type = "button";
        button.setAttribute("data-index", String(i));
        var frame = el("span", "thumb-frame");
        frame.appendChild(mirror(slide));
        var label = el("span", "thumb-label");
        label.appendChild(el("span", "thumb-number", String(i + 1)));
        label.appendChild(el("span", "thumb-title", slideTitle(slide)));
        label.lastChild.setAttribute("dir", "auto");
        button.appendChild(frame);
        button.appendChild(label);
        button.addEventListener("click", function () {
          closeDialogs(true);
          go(i);
          returnFocus = null;
        });
        item.appendChild(button);
        grid.appendChild(item);
      });
      this.stale = false;
    },

    invalidate: function () { this.stale = true; },

    buttons: function () {
      return this.grid ? Array.prototype.slice.call(this.grid.querySelectorAll(".thumb")) : [];
    },

    scale: function () {
      if (!this.grid || openDialog !== this.box) return;
      var frame = this.grid.querySelector(".thumb-frame");
      if (frame) this.grid.style.setProperty("--thumb-scale", String(frame.clientWidth / WIDTH));
    },

    open: function () {
      if (this.stale || !this.box) this.build();
      var buttons = this.buttons();
      buttons.forEach(function (b, i) {
        if (i === index) b.setAttribute("aria-current", "true");
        else b.removeAttribute("aria-current");
      });
      showDialog(this.box, buttons[index]);
      this.scale();
      if (buttons[index] && buttons[index].scrollIntoView) {
        buttons[index].scrollIntoView({ block: "nearest" });
      }
    },

    toggle: function (force) {
      var isOpen = openDialog === this.box && !!this.box;
      var want = force === undefined ? !isOpen : !!force;
      if (want && !isOpen) this.open();
      else if (!want && isOpen) closeDialogs();
    },

    // Arrow keys move between thumbnails, row by row as laid out; Enter jumps.
    onKey: function (event) {
      var buttons = this.buttons();
      var at = buttons.indexOf(document.activeElement);
      if (at < 0) return;
      var to = at;
      var top = function (b) { return b.getBoundingClientRect().top; };
      var columns = 1;
      while (columns < buttons.length && Math.abs(top(buttons[columns]) - top(buttons[0])) < 2) {
        columns++;
      }
      switch (event.key) {
        case "ArrowRight": to = at + 1; break;
        case "ArrowLeft": to = at - 1; break;
        case "ArrowDown": to = at + columns; break;
        case "ArrowUp": to = at - columns; break;
        case "Home": to = 0; break;
        case "End": to = buttons.length - 1; break;
        default: return;
      }
      event.preventDefault();
      event.stopPropagation();
      to = Math.max(0, Math.min(buttons.length - 1, to));
      buttons[to].focus();
      buttons[to].scrollIntoView({ block: "nearest" });
    }
  };

  var KEY_NAMES = {
    ArrowRight: "→", ArrowLeft: "←", ArrowUp: "↑", ArrowDown: "↓",
    PageDown: "Page Down", PageUp: "Page Up", Escape: "Esc", "Shift+Space": "Shift + Space"
  };
  var KEY_SPOKEN = { "→": "Right arrow", "←": "Left arrow", "↑": "Up arrow", "↓": "Down arrow" };

  var help = {
    box: null,

    build: function () {
      var box = this.box || dialog("help", "Keyboard shortcuts", "Close the keyboard help");
      this.box = box;
      each(box.querySelectorAll(".help-groups"), function (n) { n.remove(); });
      var body = el("div", "help-groups");
      var groups = [];
      var byName = {};
      bindings.forEach(function (b) {
        if (!b.help) return;
        var name = b.group || "Slides";
        if (!byName[name]) { byName[name] = []; groups.push(name); }
        byName[name].push(b);
      });
      groups.forEach(function (name) { body.appendChild(help.group(name, byName[name])); });
      body.appendChild(help.group("Mouse and touch", [
        { keys: ["Click"], help: "Next slide (anywhere on a slide but a link)" },
        { keys: ["Swipe ←", "Swipe →"], help: "Next slide, previous slide" }
      ]));
      box.appendChild(body);
    },

    group: function (name, list) {
      var section = el("section", "help-group");
      section.appendChild(el("h3", "", name));
      var dl = el("dl");
      list.forEach(function (b) {
        var keys = el("dt");
        var seen = [];
        b.keys.forEach(function (k) {
          var label = KEY_NAMES[k] || (k.length === 1 ? k.toLowerCase() : k);
          if (seen.indexOf(label) >= 0) return;
          seen.push(label);
          var kbd = el("kbd", "", label);
          if (KEY_SPOKEN[label]) kbd.setAttribute("aria-label", KEY_SPOKEN[label]);
          if (seen.length > 1) keys.appendChild(document.createTextNode(" "));
          keys.appendChild(kbd);
        });
        dl.appendChild(keys);
        dl.appendChild(el("dd", "", b.help));
      });
      section.appendChild(dl);
      return section;
    },

    toggle: function (force) {
      var isOpen = openDialog === this.box && !!this.box;
      var want = force === undefined ? !isOpen : !!force;
      if (want && !isOpen) {
        this.build();
        showDialog(this.box, this.box.querySelector(".dd-close"));
      } else if (!want && isOpen) {
        closeDialogs();
      }
    }
  };

  // Keys while a dialog is open: the dialog's own, and the ones that close it.
  function dialogKey(event, name) {
    if (name === "Escape") {
      event.preventDefault();
      closeDialogs();
    } else if (name === "o" || name === "O") {
      event.preventDefault();
      overview.toggle(openDialog !== overview.box);
    } else if (name === "?") {
      event.preventDefault();
      help.toggle(openDialog !== help.box);
    }
  }

  // ---- Sync between the audience and the presenter windows ------------------

  var sync = {
    name: "demodeck:" + location.pathname,
    me: Math.random().toString(36).slice(2) + Date.now().toString(36),
    seq: 0,
    seen: {},
    channel: null,
    popup: null, // the presenter window this window opened
    remote: false, // applying a change another window asked for: don't echo it

    start: function () {
      if (typeof BroadcastChannel === "function") {
        try {
          this.channel = new BroadcastChannel(this.name);
          this.channel.onmessage = function (event) { sync.receive(event.data); };
        } catch (e) { this.channel = null; }
      }
      if (!this.channel) {
        window.addEventListener("storage", function (event) {
          if (event.key !== sync.name || !event.newValue) return;
          try { sync.receive(JSON.parse(event.newValue)); } catch (e) { /* not ours */ }
        });
      }
      window.addEventListener("message", function (event) {
        if (event.source && (event.source === window.opener || event.source === sync.popup)) {
          sync.receive(event.data);
        }
      });
      listeners.push(function (detail) {
        if (!sync.remote) sync.send({ type: "go", id: detail.id });
      });
    },

    peers: function () {
      var out = [];
      [window.opener, this.popup].forEach(function (w) {
        try { if (w && !w.closed && w !== window) out.push(w); } catch (e) { /* gone */ }
      });
      return out;
    },

    send: function (message) {
      message.deck = this.name;
      message.from = this.me;
      message.presenter = presenter.on;
      message.seq = ++this.seq;
      if (this.channel) {
        this.channel.postMessage(message);
      } else {
        try { localStorage.setItem(this.name, JSON.stringify(message)); } catch (e) { /* off */ }
      }
      this.peers().forEach(function (w) {
        try { w.postMessage(message, "*"); } catch (e) { /* closed meanwhile */ }
      });
    },

    // Every message may arrive twice (channel and postMessage): the sender's
    // sequence number drops repeats and stale ones.
    receive: function (m) {
      if (!m || typeof m !== "object" || m.deck !== this.name || m.from === this.me) return;
      if (typeof m.seq !== "number" || m.seq <= (this.seen[m.from] || 0)) return;
      this.seen[m.from] = m.seq;
      // Audience windows follow the presenter view, not each other: two tabs of
      // the same deck stay independent until a presenter view joins them.
      if (m.type === "go" && typeof m.id === "string" && (presenter.on || m.presenter)) {
        this.remote = true;
        try { go(m.id); } finally { this.remote = false; }
      } else if (m.type === "where" && !presenter.on && index >= 0) {
        this.send({ type: "go", id: slides[index].id });
      }
    }
  };

  function openPresenter() {
    if (presenter.on) {
      try { if (window.opener && !window.opener.closed) window.opener.focus(); } catch (e) { /* */ }
      return null;
    }
    var search = location.search ? location.search + "&presenter" : "?presenter";
    var url = location.href.split("#")[0].split("?")[0] + search +
      "#" + encodeURIComponent(slides[index].id);
    var win = null;
    try {
      win = window.open(url, "demodeck-presenter", "popup,width=1280,height=800");
    } catch (e) { win = null; }
    if (!win) {
      toast("The browser blocked the presenter window. Allow pop-ups for this page, " +
            "or open this address in a new window with ?presenter added to it.");
      return null;
    }
    sync.popup = win;
    try { win.focus(); } catch (e) { /* */ }
    return win;
  }

  var toastTimer = 0;
  function toast(text) {
    if (!ui.toast) {
      ui.toast = el("p", "dd-toast");
      ui.toast.setAttribute("role", "alert");
      document.body.appendChild(ui.toast);
    }
    ui.toast.textContent = text;
    ui.toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { ui.toast.hidden = true; }, 8000);
  }

  // ---- Presenter view ------------------------------------------------------

  function two(n) { return (n < 10 ? "0" : "") + n; }

  // 75 000 ms → "1:15"; an hour or more → "1:02:03". Time left counts down
  // with `up`, so "5:00" shows until a whole second has gone.
  function duration(ms, up) {
    var s = (up ? Math.ceil : Math.floor)(Math.max(0, ms) / 1000);
    var h = Math.floor(s / 3600);
    var m = Math.floor(s / 60) % 60;
    return (h ? h + ":" + two(m) : String(m)) + ":" + two(s % 60);
  }

  var presenter = {
    on: false,
    frame: null,
    nextFrame: null,
    timing: null, // {start, spent: {slideId: ms}, at, since}
    key: "demodeck:timing:" + location.pathname,

    start: function () {
      this.on = true;
      root.classList.add("is-presenter");
      document.title = "Presenter · " + document.title;
      var deck = document.querySelector(".deck");
      var view = el("div", "pv");
      var bar = el("header", "pv-bar");
      var heading = el("h1", "pv-title", deck.getAttribute("aria-label") || document.title);
      heading.setAttribute("dir", "auto");
      bar.appendChild(heading);
      this.counter = el("p", "pv-counter");
      bar.appendChild(this.counter);
      var tools = el("div", "pv-tools");
      tools.setAttribute("role", "group");
      tools.setAttribute("aria-label", "Presenter controls");
      // [name, visible label, accessible name (starts with the label), key, action]
      [["prev", "Previous", "Previous slide", "ArrowLeft", prev],
       ["next", "Next", "Next slide", "ArrowRight", next],
       ["overview", "All slides", "", "o", function () { overview.toggle(true); }],
       ["restart", "Restart clocks", "", "r", function () { presenter.restart(); }],
       ["help", "Shortcuts", "Shortcuts: keyboard help", "Shift+?",
        function () { help.toggle(true); }]
      ].forEach(function (t) {
        var b = el("button", "pv-button pv-button--" + t[0], t[1]);
        b.type = "button";
        if (t[2]) b.setAttribute("aria-label", t[2]);
        b.setAttribute("aria-keyshortcuts", t[3]);
        b.addEventListener("click", t[4]);
        tools.appendChild(b);
        presenter[t[0] + "Button"] = b;
      });
      bar.appendChild(tools);

      var current = el("section", "pv-current");
      current.setAttribute("aria-label", "Current slide");
      this.frame = el("div", "pv-frame");
      deck.parentNode.insertBefore(view, deck);
      this.frame.appendChild(deck);
      current.appendChild(this.frame);

      var notes = el("section", "pv-notes");
      notes.setAttribute("aria-labelledby", "pv-notes-h");
      notes.tabIndex = 0; // long notes scroll: with the keyboard too
      var notesHead = el("h2", "pv-label", "Notes");
      notesHead.id = "pv-notes-h";
      this.notes = el("div", "pv-notes-body");
      notes.appendChild(notesHead);
      notes.appendChild(this.notes);

      var upcoming = el("section", "pv-next");
      upcoming.setAttribute("aria-labelledby", "pv-next-h");
      var nextHead = el("h2", "pv-label", "Next");
      nextHead.id = "pv-next-h";
      this.nextTitle = el("span", "pv-next-title");
      this.nextTitle.setAttribute("dir", "auto");
      nextHead.appendChild(document.createTextNode(" "));
      nextHead.appendChild(this.nextTitle);
      this.nextFrame = el("div", "pv-frame pv-frame--next");
      upcoming.appendChild(nextHead);
      upcoming.appendChild(this.nextFrame);

      var clocks = el("section", "pv-clocks");
      clocks.setAttribute("aria-label", "Time");
      this.timebox = el("div", "pv-timebox");
      this.timeboxLabel = el("p", "pv-label");
      this.timeboxLeft = el("p", "pv-timebox-left");
      this.timeboxNote = el("p", "pv-timebox-note");
      this.timeboxBar = el("div", "pv-timebox-bar");
      this.timeboxBar.setAttribute("aria-hidden", "true");
      this.timeboxBar.appendChild(el("div"));
      [this.timeboxLabel, this.timeboxLeft, this.timeboxNote, this.timeboxBar]
        .forEach(function (n) { presenter.timebox.appendChild(n); });
      var row = el("div", "pv-clock-row");
      var elapsed = el("p", "pv-elapsed");
      elapsed.appendChild(el("span", "pv-label", "Elapsed"));
      this.elapsed = el("span", "pv-big");
      elapsed.appendChild(this.elapsed);
      this.planned = el("span", "pv-small");
      elapsed.appendChild(this.planned);
      var clock = el("p", "pv-clock");
      clock.appendChild(el("span", "pv-label", "Clock"));
      this.clock = el("time", "pv-big");
      clock.appendChild(this.clock);
      row.appendChild(elapsed);
      row.appendChild(clock);
      clocks.appendChild(this.timebox);
      clocks.appendChild(row);

      var main = el("div", "pv-main");
      main.appendChild(current);
      main.appendChild(notes);
      var side = el("div", "pv-side");
      side.appendChild(upcoming);
      side.appendChild(clocks);
      view.appendChild(bar);
      view.appendChild(main);
      view.appendChild(side);

      var total = parseInt(deck.getAttribute("data-total-minutes") || "", 10);
      this.totalMs = total > 0 ? total * 60000 : 0;
      this.loadTiming();
      listeners.push(function (detail) { presenter.onChange(detail); });
      if (window.ResizeObserver) {
        new ResizeObserver(layout).observe(this.frame);
      }
      setInterval(function () { presenter.tick(); }, TICK_MS);
    },

    loadTiming: function () {
      var now = Date.now();
      var saved = null;
      try { saved = JSON.parse(sessionStorage.getItem(this.key) || "null"); } catch (e) { /* */ }
      this.timing = saved && typeof saved.start === "number" && saved.spent
        ? saved : { start: now, spent: {}, at: null, since: now };
    },

    saveTiming: function () {
      try { sessionStorage.setItem(this.key, JSON.stringify(this.timing)); } catch (e) { /* */ }
    },

    restart: function () {
      var now = Date.now();
      this.timing = { start: now, spent: {}, at: slides[index].id, since: now };
      this.saveTiming();
      this.tick();
      announce("Clocks restarted");
    },

    // Time on a demo adds up over every visit to its slide.
    onChange: function (detail) {
      var t = this.timing;
      var now = Date.now();
      if (t.at) t.spent[t.at] = (t.spent[t.at] || 0) + Math.max(0, now - t.since);
      t.at = detail.id;
      t.since = now;
      this.saveTiming();
      this.refresh();
    },

    refresh: function () {
      if (!this.on || index < 0) return;
      var slide = slides[index];
      this.counter.textContent = "Slide " + (index + 1) + " of " + slides.length;
      this.prevButton.disabled = index === 0;
      this.nextButton.disabled = index === slides.length - 1;
      this.nextFrame.textContent = "";
      var upcoming = slides[index + 1];
      if (upcoming) {
        this.nextFrame.appendChild(mirror(upcoming));
        this.nextTitle.textContent = slideTitle(upcoming);
      } else {
        this.nextFrame.appendChild(el("p", "pv-end", "End of the deck"));
        this.nextTitle.textContent = "";
      }
      this.scaleNext();
      this.notes.textContent = "";
      var source = slide.querySelector("aside.notes");
      if (source) {
        var copy = source.cloneNode(true);
        each(copy.querySelectorAll("[id]"), function (n) { n.removeAttribute("id"); });
        while (copy.firstChild) this.notes.appendChild(copy.firstChild);
        this.notes.classList.remove("is-empty");
      } else {
        this.notes.appendChild(el("p", "", "No notes for this slide."));
        this.notes.classList.add("is-empty");
      }
      this.notes.scrollTop = 0;
      this.tick();
    },

    scaleNext: function () {
      if (!this.nextFrame) return;
      var box = this.nextFrame.getBoundingClientRect();
      this.nextFrame.style.setProperty("--scale", String(scaleFor(box.width, box.height)));
    },

    tick: function () {
      if (!this.on || index < 0) return;
      var now = Date.now();
      var t = this.timing;
      var slide = slides[index];
      this.clock.textContent = new Date(now).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      this.clock.setAttribute("datetime", new Date(now).toISOString());
      this.elapsed.textContent = duration(now - t.start);
      this.planned.textContent = this.totalMs ? " of " + duration(this.totalMs) + " planned" : "";
      var minutes = parseFloat(slide.getAttribute("data-minutes") || "");
      var state = "none";
      if (minutes > 0) {
        var limit = minutes * 60000;
        var used = (t.spent[slide.id] || 0) + (t.at === slide.id ? Math.max(0, now - t.since) : 0);
        var left = limit - used;
        state = left < 0 ? "over" : left <= WARN_MS ? "warn" : "ok";
        this.timeboxLabel.textContent = "Timebox";
        this.timeboxLeft.textContent = left < 0 ? "+" + duration(-left) : duration(left, true);
        this.timeboxNote.textContent = left < 0
          ? "over the " + minutes + " min timebox"
          : "left of " + minutes + " min";
        this.timeboxBar.firstChild.style.width = Math.min(100, 100 * used / limit).toFixed(1) + "%";
      } else {
        this.timeboxLabel.textContent = "Timebox";
        this.timeboxLeft.textContent = "–";
        this.timeboxNote.textContent = "no timebox on this slide";
        this.timeboxBar.firstChild.style.width = "0%";
      }
      var was = this.timebox.getAttribute("data-state");
      if (was !== state) {
        this.timebox.setAttribute("data-state", state);
        if (was && slide.id === this.stateSlide) {
          if (state === "warn") announce("One minute left in the timebox");
          if (state === "over") announce("Over the timebox");
        }
      }
      this.stateSlide = slide.id;
    }
  };

  // ---- Input ---------------------------------------------------------------

  function key(keys, run, help, group) {
    bindings.push({ keys: [].concat(keys), run: run, help: help || "", group: group || "" });
  }

  function isTyping(el) {
    return !!(el && el.closest &&
      el.closest("input, textarea, select, [contenteditable]:not([contenteditable='false'])"));
  }

  function onKeyDown(event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (isTyping(event.target)) return;
    var name = event.key === " " ? (event.shiftKey ? "Shift+Space" : "Space") : event.key;
    if (openDialog) {
      dialogKey(event, name);
      return;
    }
    // Space on a focused button, link or video keeps its usual meaning (play/pause).
    if (name.indexOf("Space") >= 0 && event.target.closest && event.target.closest("button, a, summary, video, audio")) return;
    for (var i = 0; i < bindings.length; i++) {
      if (bindings[i].keys.indexOf(name) >= 0) {
        event.preventDefault();
        bindings[i].run(event);
        return;
      }
    }
  }

  function onClick(event) {
    if (event.button !== 0 || event.defaultPrevented) return;
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var el = event.target;
    if (el.closest && el.closest("a, button, input, select, textarea, summary, label, video, audio, [contenteditable], [data-no-advance]")) return;
    var selection = window.getSelection && window.getSelection();
    if (selection && !selection.isCollapsed && String(selection).trim()) return; // selecting text
    next();
  }

  var touch = null;
  function onTouchStart(event) {
    touch = event.touches.length === 1 && !openDialog
      ? { x: event.touches[0].clientX, y: event.touches[0].clientY } : null;
  }
  function onTouchEnd(event) {
    if (!touch || !event.changedTouches.length) return;
    var dx = event.changedTouches[0].clientX - touch.x;
    var dy = event.changedTouches[0].clientY - touch.y;
    touch = null;
    if (Math.abs(dx) < 40 || Math.abs(dx) < 1.5 * Math.abs(dy)) return;
    if (dx < 0) next(); else prev();
  }

  function toggleFullscreen() {
    if (document.fullscreenElement) {
      if (document.exitFullscreen) document.exitFullscreen();
    } else if (root.requestFullscreen) {
      var request = root.requestFullscreen();
      if (request && request.catch) request.catch(function () {});
    }
  }

  var idleTimer = 0;
  function wake() {
    root.classList.remove("is-idle");
    clearTimeout(idleTimer);
    idleTimer = setTimeout(function () { root.classList.add("is-idle"); }, IDLE_MS);
  }

  function notesSize(step) {
    if (!presenter.on) return;
    var now = parseFloat(root.style.getPropertyValue("--notes-size")) || 1;
    var size = Math.max(0.6, Math.min(2.4, now + step));
    root.style.setProperty("--notes-size", size.toFixed(2));
  }

  key(["ArrowRight", "ArrowDown", "PageDown", "Space"], next, "Next slide", "Slides");
  key(["ArrowLeft", "ArrowUp", "PageUp", "Shift+Space"], prev, "Previous slide", "Slides");
  key(["Home"], function () { go(0); }, "First slide", "Slides");
  key(["End"], function () { go(slides.length - 1); }, "Last slide", "Slides");
  key(["o", "O", "Escape"], function () { overview.toggle(); },
      "Overview of all slides (Esc closes it again)", "Views");
  key(["s", "S"], openPresenter, "Presenter view in a second window", "Views");
  key(["f", "F"], toggleFullscreen, "Toggle full screen", "Views");
  key(["?"], function () { help.toggle(); }, "This help", "Views");
  key(["r", "R"], function () { if (presenter.on) presenter.restart(); },
      "Restart the clocks and the timebox", "Presenter view");
  key(["+", "="], function () { notesSize(0.1); }, "Larger notes", "Presenter view");
  key(["-"], function () { notesSize(-0.1); }, "Smaller notes", "Presenter view");

  // ---- Start ---------------------------------------------------------------

  function start() {
    slides = Array.prototype.slice.call(document.querySelectorAll(".deck > .slide"));
    api.slides = slides;
    if (!slides.length) return;
    ui.current = document.querySelector(".deck-ui .counter-current");
    ui.total = document.querySelector(".deck-ui .counter-total");
    ui.live = document.querySelector(".deck-ui [aria-live]");
    ui.prev = document.querySelector(".deck-ui [data-action='prev']");
    ui.next = document.querySelector(".deck-ui [data-action='next']");
    if (ui.prev) ui.prev.addEventListener("click", prev);
    if (ui.next) ui.next.addEventListener("click", next);
    var actions = {
      overview: function () { overview.toggle(true); },
      help: function () { help.toggle(true); },
      presenter: openPresenter
    };
    each(document.querySelectorAll(".deck-ui [data-action]"), function (button) {
      var run = actions[button.getAttribute("data-action")];
      if (run) button.addEventListener("click", function () { run(); });
    });

    if (params) presenter.start();
    layout();
    fit();
    var initial = resolve(readHash());
    go(initial >= 0 ? initial : 0);
    // Only now: opening a window must not move the others to its first slide.
    sync.start();
    if (params) sync.send({ type: "where" }); // follow the audience window, if one is open

    window.addEventListener("resize", layout);
    window.addEventListener("hashchange", onHashChange);
    window.addEventListener("load", function () { fit(); }); // images now have their size
    document.addEventListener("keydown", onKeyDown);
    document.addEventListener("demodeck:updated", function () {
      presenter.refresh();
      overview.invalidate();
    });
    document.querySelector(".deck").addEventListener("click", onClick);
    document.addEventListener("touchstart", onTouchStart, { passive: true });
    document.addEventListener("touchend", onTouchEnd, { passive: true });
    document.addEventListener("mousemove", wake, { passive: true });
    wake();
  }

  var api = {
    slides: slides,
    current: function () { return index; },
    go: go,
    next: next,
    prev: prev,
    on: function (type, fn) { if (type === "change") listeners.push(fn); },
    key: key,
    keys: bindings,
    fit: fit,
    overview: function (open) { overview.toggle(open); },
    help: function (open) { help.toggle(open); },
    presenter: openPresenter,
    isPresenter: params
  };
  window.demodeck = api;

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
