// The report page's only script, inlined: it selects an expectation (click, arrow keys, the
// URL's #e<n>) and applies that expectation's drawing (computed by walks.ts, embedded as JSON)
// to the SVG that Graphviz laid out. Markers are placed at the bounding box of each device's
// element, so nothing here has a coordinate of its own. No network, no library.
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('wirelab-data').textContent);
  var svg = document.querySelector('#topology svg');
  var NS = 'http://www.w3.org/2000/svg';
  var overlay = document.createElementNS(NS, 'g');
  overlay.setAttribute('id', 'walk-overlay');
  svg.querySelector('g.graph').appendChild(overlay);
  var items = Array.prototype.slice.call(document.querySelectorAll('#expectations [role=option]'));
  var panels = Array.prototype.slice.call(document.querySelectorAll('.panel'));
  var current = -1;

  function el(name, attrs, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function clear() {
    while (overlay.firstChild) overlay.removeChild(overlay.firstChild);
    Array.prototype.forEach.call(svg.querySelectorAll('.walk-seen, .walk-missed, .on-walk, .addressed'), function (n) {
      n.classList.remove('walk-seen', 'walk-missed', 'on-walk', 'addressed');
    });
    svg.removeAttribute('data-walk');
  }

  function draw(d) {
    clear();
    if (!d) return;
    d.links.forEach(function (l) {
      var g = document.getElementById(l.id);
      if (g) g.classList.add(l.state === 'seen' ? 'walk-seen' : 'walk-missed');
    });
    d.devices.forEach(function (id) {
      var g = document.getElementById(id);
      if (g) g.classList.add('on-walk');
    });
    d.services.forEach(function (id) {
      var g = document.getElementById(id);
      if (g) g.classList.add('addressed');
    });
    var perDevice = {};
    d.markers.forEach(function (m) {
      var g = document.getElementById(m.dev);
      if (!g) return;
      var box = g.getBBox();
      var k = (perDevice[m.dev] = (perDevice[m.dev] || 0) + 1) - 1;
      var cx = box.x + box.width + 4 + k * 19, cy = box.y + 2;
      var mark = el('g', { class: 'marker ' + m.state + (m.lastSeen ? ' last-seen' : ''), 'data-point': m.point, 'data-n': String(m.n), 'data-state': m.state });
      mark.appendChild(el('title', {}, 'hop ' + m.n + ' at ' + m.point + (m.reply ? ' (reply)' : '') + ': ' + m.state));
      mark.appendChild(el('circle', { cx: cx, cy: cy, r: 8.5 }));
      mark.appendChild(el('text', { x: cx, y: cy + 3.5, 'text-anchor': 'middle' }, (m.reply ? '\u21a9' : '') + m.n));
      if (m.lastSeen) mark.appendChild(el('text', { class: 'last-seen-label', x: cx + 11, y: cy + 4 }, 'last seen here'));
      overlay.appendChild(mark);
    });
    d.tags.forEach(function (t) {
      var g = document.getElementById(t.dev);
      if (!g) return;
      var box = g.getBBox();
      var tag = el('g', { class: 'nat-tag' });
      var text = el('text', { x: box.x + box.width / 2, y: box.y + box.height + 11, 'text-anchor': 'middle' }, t.text);
      tag.appendChild(text);
      overlay.appendChild(tag);
    });
    svg.setAttribute('data-walk', d.devices.join(' '));
    // A drawing wider than the window scrolls: bring the walk's first hop into view.
    var first = overlay.querySelector('g.marker');
    if (first && first.scrollIntoView) first.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }

  function select(i, focus) {
    if (i < 0 || i >= items.length) return;
    current = i;
    items.forEach(function (it, k) {
      it.setAttribute('aria-selected', k === i ? 'true' : 'false');
      it.tabIndex = k === i ? 0 : -1;
    });
    panels.forEach(function (p, k) {
      p.classList.toggle('selected', k === i);
    });
    var e = data.expectations[i];
    draw(e.drawing);
    // A truth table draws a cell when one is picked; a failed one starts with its first wrong cell.
    var wrong = panels[i] && panels[i].querySelector('td.wrong .cell');
    if (e.cells && wrong) selectCell(wrong);
    if (focus) items[i].focus();
    if (history.replaceState) history.replaceState(null, '', '#e' + (i + 1));
    document.body.setAttribute('data-selected', String(i + 1));
  }

  function selectCell(button) {
    var e = data.expectations[current];
    var ij = button.getAttribute('data-cell').split(',');
    Array.prototype.forEach.call(document.querySelectorAll('.cell[aria-pressed=true]'), function (b) {
      b.setAttribute('aria-pressed', 'false');
    });
    button.setAttribute('aria-pressed', 'true');
    draw(e.cells[Number(ij[0])][Number(ij[1])]);
  }

  // Selection follows focus, as in a listbox: clicking, tabbing or arrowing to an option picks it.
  items.forEach(function (it, k) {
    it.addEventListener('click', function () {
      select(k, true);
    });
    it.addEventListener('focus', function () {
      if (current !== k) select(k, false);
    });
  });
  document.getElementById('expectations').addEventListener('keydown', function (ev) {
    var next = { ArrowDown: current + 1, ArrowUp: current - 1, Home: 0, End: items.length - 1, j: current + 1, k: current - 1 }[ev.key];
    if (next === undefined) return;
    ev.preventDefault();
    select(Math.max(0, Math.min(items.length - 1, next)), true);
  });
  Array.prototype.forEach.call(document.querySelectorAll('.cell'), function (b) {
    b.addEventListener('click', function () {
      selectCell(b);
    });
  });
  var m = /^#e(\d+)$/.exec(location.hash);
  select(m ? Number(m[1]) - 1 : Math.max(0, data.firstFailed), false);
  document.body.classList.add('ready');
})();
`;
