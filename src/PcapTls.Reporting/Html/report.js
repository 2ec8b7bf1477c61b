(function () {
  'use strict';
  var table = document.getElementById('hs');
  var data = null;
  function detailsData() {
    if (data === null) {
      var block = document.getElementById('details-data');
      data = block ? JSON.parse(block.textContent) : { details: [], chains: [] };
    }
    return data;
  }
  // The details of a handshake: in the page, or (large reports) built from the JSON block when first opened.
  function detailsFor(id) {
    var el = document.getElementById(id);
    if (el) { return el; }
    var m = /^h-(\d+)$/.exec(id);
    var lazy = document.getElementById('lazy');
    if (!m || !lazy) { return null; }
    var d = detailsData();
    var html = d.details[Number(m[1]) - 1];
    if (html === undefined) { return null; }
    var holder = document.createElement('div');
    holder.innerHTML = html;
    holder.querySelectorAll('[data-chain]').forEach(function (p) { p.outerHTML = d.chains[Number(p.getAttribute('data-chain'))]; });
    el = holder.firstElementChild;
    lazy.appendChild(el);
    return el;
  }
  function showHash() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id) { return; }
    var el = detailsFor(id);
    if (el) { el.open = true; el.scrollIntoView(); }
  }
  window.addEventListener('hashchange', showHash);
  window.addEventListener('beforeprint', function () {
    document.querySelectorAll('details.hs').forEach(function (d) { d.open = true; });
  });
  if (table) {
    var tbody = table.tBodies[0];
    var rows = Array.prototype.slice.call(tbody.rows);
    var pageSize = Number(table.getAttribute('data-page-size')) || 100;
    var page = 0, sortColumn = -1, sortDirection = 1, shown = rows;
    var fOutcome = document.getElementById('f-outcome');
    var fCause = document.getElementById('f-cause');
    var fServer = document.getElementById('f-server');
    var count = document.getElementById('count');
    var pageText = document.getElementById('page');
    var matches = function (r) {
      var o = fOutcome.value, c = fCause.value, s = fServer.value;
      if (o === 'failure') { if (r.getAttribute('data-failure') !== '1') { return false; } }
      else if (o && r.getAttribute('data-outcome') !== o) { return false; }
      if (c && (' ' + r.getAttribute('data-cause') + ' ').indexOf(' ' + c + ' ') < 0) { return false; }
      if (s && r.getAttribute('data-server') !== s) { return false; }
      return true;
    };
    var sortKey = function (r, i, numeric) {
      var cell = r.cells[i];
      return numeric ? Number(cell.getAttribute('data-sort')) : cell.textContent;
    };
    var render = function () {
      var pages = Math.max(1, Math.ceil(shown.length / pageSize));
      if (page >= pages) { page = pages - 1; }
      var start = page * pageSize, end = Math.min(shown.length, start + pageSize);
      var frag = document.createDocumentFragment();
      for (var k = start; k < end; k++) { shown[k].hidden = false; frag.appendChild(shown[k]); }
      tbody.textContent = '';
      tbody.appendChild(frag);
      count.textContent = shown.length === rows.length ? rows.length + ' handshakes' : shown.length + ' of ' + rows.length + ' handshakes';
      pageText.textContent = 'page ' + (page + 1) + ' of ' + pages;
      document.getElementById('prev').disabled = page === 0;
      document.getElementById('next').disabled = page >= pages - 1;
    };
    var apply = function () {
      shown = rows.filter(matches);
      if (sortColumn >= 0) {
        var numeric = table.tHead.rows[0].cells[sortColumn].getAttribute('data-type') === 'num';
        var keyed = shown.map(function (r, i) { return [sortKey(r, sortColumn, numeric), i, r]; });
        keyed.sort(function (a, b) {
          if (a[0] < b[0]) { return -sortDirection; }
          if (a[0] > b[0]) { return sortDirection; }
          return a[1] - b[1];
        });
        shown = keyed.map(function (k) { return k[2]; });
      }
      page = 0;
      render();
    };
    [fOutcome, fCause, fServer].forEach(function (f) { f.addEventListener('change', apply); });
    document.getElementById('prev').addEventListener('click', function () { page--; render(); });
    document.getElementById('next').addEventListener('click', function () { page++; render(); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      th.querySelector('button').addEventListener('click', function () {
        sortDirection = sortColumn === i ? -sortDirection : 1;
        sortColumn = i;
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', sortDirection === 1 ? 'ascending' : 'descending');
        apply();
      });
    });
    document.getElementById('filters').addEventListener('submit', function (e) { e.preventDefault(); });
    render();
  }
  showHash();
}());
