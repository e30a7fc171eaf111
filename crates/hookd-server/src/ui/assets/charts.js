// hookd's charts: small SVG drawings of the answers of GET /api/v1/hookd/stats/attempts
// (deliveries per bucket by outcome, latency percentiles, success rate), drawn at the width of
// their container so that their text stays legible from phones to desktops. No library, and no
// inline styles (the pages' CSP forbids them): colours come from classes in hookd.css.
// It must not fetch anything: the dashboard passes the answers it fetched.

const NS = 'http://www.w3.org/2000/svg';
const H = 190;
const M = { top: 12, right: 12, bottom: 26, left: 46 };

function s(tag, attrs, children) {
  const node = document.createElementNS(NS, tag);
  Object.keys(attrs || {}).forEach((k) => node.setAttribute(k, String(attrs[k])));
  (children || []).forEach((c) => {
    if (c === null || c === undefined) return;
    node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  });
  return node;
}

// Every bucket of the window, empty ones included (the API leaves those out). Buckets start
// at multiples of their width since the epoch, as the store aligns them.
function buckets(stats) {
  const width = stats.bucketSecs * 1000;
  const since = Date.parse(stats.since);
  const until = Date.parse(stats.until);
  const byStart = new Map(stats.data.map((b) => [Date.parse(b.start), b]));
  const out = [];
  for (let t = Math.floor(since / width) * width; t < until; t += width) {
    const b = byStart.get(t);
    out.push({
      t: t,
      success: b ? b.success : 0,
      fail: b ? b.fail : 0,
      p50: b ? b.p50Ms : undefined,
      p90: b ? b.p90Ms : undefined,
      p99: b ? b.p99Ms : undefined,
    });
  }
  return out;
}

function pad(n) {
  return String(n).padStart(2, '0');
}
function label(t, bucketSecs) {
  const d = new Date(t);
  if (bucketSecs >= 86400) return (d.getMonth() + 1) + '/' + d.getDate();
  return pad(d.getHours()) + ':' + pad(d.getMinutes());
}
function longLabel(t) {
  const d = new Date(t);
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes());
}

function niceMax(v) {
  if (v <= 4) return 4;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) {
    if (m * p >= v) return m * p;
  }
  return 10 * p;
}

// The frame shared by every chart: the SVG, the plot area and the time axis.
function frame(width, bs, bucketSecs, aria) {
  const svg = s('svg', { class: 'chart', viewBox: '0 0 ' + width + ' ' + H, role: 'img', 'aria-label': aria });
  const pw = width - M.left - M.right;
  const ph = H - M.top - M.bottom;
  svg.appendChild(s('line', { class: 'axis', x1: M.left, y1: M.top + ph, x2: M.left + pw, y2: M.top + ph }));
  const step = pw / Math.max(1, bs.length);
  const every = Math.max(1, Math.ceil(bs.length / Math.max(2, Math.floor(pw / 70))));
  bs.forEach((b, i) => {
    if (i % every !== 0) return;
    svg.appendChild(s('text', { x: M.left + i * step + step / 2, y: H - 8, 'text-anchor': 'middle' }, [label(b.t, bucketSecs)]));
  });
  return { svg: svg, pw: pw, ph: ph, step: step };
}

function yAxis(f, ticks, y, fmt) {
  ticks.forEach((v) => {
    const yy = y(v);
    f.svg.appendChild(s('line', { class: 'gridline', x1: M.left, x2: M.left + f.pw, y1: yy, y2: yy }));
    f.svg.appendChild(s('text', { x: M.left - 6, y: yy + 4, 'text-anchor': 'end' }, [fmt(v)]));
  });
}

function empty(f, text) {
  f.svg.appendChild(s('text', { class: 'empty', x: M.left + f.pw / 2, y: M.top + f.ph / 2, 'text-anchor': 'middle' }, [text]));
}

function legend(items) {
  const ul = document.createElement('ul');
  ul.className = 'legend';
  items.forEach(([cls, text]) => {
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = 'sw ' + cls;
    li.appendChild(sw);
    li.appendChild(document.createTextNode(text));
    ul.appendChild(li);
  });
  return ul;
}

// Draws `draw(width)` into `container` now and again whenever its width changes.
function mount(container, draw) {
  let last = 0;
  const paint = () => {
    const w = Math.round(container.clientWidth || 0);
    if (!w || w === last) return;
    last = w;
    while (container.firstChild) container.removeChild(container.firstChild);
    container.appendChild(draw(Math.max(240, w)));
  };
  new ResizeObserver(paint).observe(container);
  return container;
}

function holder(cls) {
  const div = document.createElement('div');
  div.className = 'chart-box ' + (cls || '');
  return div;
}

// Stacked bars: delivered (bottom) and failed attempts per bucket.
export function outcomes(stats, unit) {
  const bs = buckets(stats);
  const total = stats.total.success + stats.total.fail;
  const aria = 'Attempts per ' + unit + ': ' + stats.total.success + ' delivered and ' + stats.total.fail + ' failed between ' + longLabel(Date.parse(stats.since)) + ' and ' + longLabel(Date.parse(stats.until)) + '.';
  const box = holder('chart-outcomes');
  box.setAttribute('data-total', String(total));
  const area = document.createElement('div');
  box.appendChild(area);
  box.appendChild(legend([['sw-success', 'delivered'], ['sw-fail', 'failed']]));
  mount(area, (width) => {
    const f = frame(width, bs, stats.bucketSecs, aria);
    const max = niceMax(Math.max(0, ...bs.map((b) => b.success + b.fail)));
    const y = (v) => M.top + f.ph - (v / max) * f.ph;
    yAxis(f, [0, max / 2, max], y, (v) => String(Math.round(v * 10) / 10));
    if (!total) empty(f, 'No attempts in this window');
    const bw = Math.max(1, f.step * 0.8);
    bs.forEach((b, i) => {
      if (!b.success && !b.fail) return;
      const x = M.left + i * f.step + (f.step - bw) / 2;
      const g = s('g', {}, [s('title', {}, [longLabel(b.t) + ': ' + b.success + ' delivered, ' + b.fail + ' failed'])]);
      g.appendChild(s('rect', { class: 's-success', x: x, width: bw, y: y(b.success), height: Math.max(0, y(0) - y(b.success)) }));
      g.appendChild(s('rect', { class: 's-fail', x: x, width: bw, y: y(b.success + b.fail), height: Math.max(0, y(b.success) - y(b.success + b.fail)) }));
      f.svg.appendChild(g);
    });
    return f.svg;
  });
  return box;
}

// p50/p90/p99 latency lines on a log scale (the percentiles are duration bin bounds, which
// are log-spaced). A percentile in the open-ended bin is drawn at the top, labelled "slower".
export function latency(stats) {
  const bs = buckets(stats);
  const finite = stats.binUpperMs.filter((v) => v !== null);
  const top = finite[finite.length - 1];
  const min = finite[0];
  const t = stats.total;
  const fmtMs = (v) => (v === null ? '> ' + top / 1000 + ' s' : v >= 1000 ? v / 1000 + ' s' : v + ' ms');
  const aria = t.success + t.fail
    ? 'Latency percentiles over the window: p50 up to ' + fmtMs(t.p50Ms) + ', p90 up to ' + fmtMs(t.p90Ms) + ', p99 up to ' + fmtMs(t.p99Ms) + '.'
    : 'Latency: no attempts in this window.';
  const box = holder('chart-latency');
  const area = document.createElement('div');
  box.appendChild(area);
  box.appendChild(legend([['sw-p50', 'p50'], ['sw-p90', 'p90'], ['sw-p99', 'p99']]));
  mount(area, (width) => {
    const f = frame(width, bs, stats.bucketSecs, aria);
    const lmin = Math.log10(min);
    const lmax = Math.log10(top * 1.6);
    const y = (v) => {
      const value = v === null ? top * 1.6 : Math.max(min, v);
      return M.top + f.ph - ((Math.log10(value) - lmin) / (lmax - lmin)) * f.ph;
    };
    yAxis(f, [min, 50, 500, 5000].filter((v) => v <= top), y, (v) => fmtMs(v));
    f.svg.appendChild(s('text', { x: M.left - 6, y: y(null) + 4, 'text-anchor': 'end' }, ['slower']));
    if (!(t.success + t.fail)) empty(f, 'No attempts in this window');
    [['p50', 'l-p50'], ['p90', 'l-p90'], ['p99', 'l-p99']].forEach(([key, cls]) => {
      let d = '';
      let pen = false;
      const dots = [];
      bs.forEach((b, i) => {
        const v = b[key];
        if (v === undefined) {
          pen = false;
          return;
        }
        const x = M.left + i * f.step + f.step / 2;
        d += (pen ? 'L' : 'M') + x.toFixed(1) + ' ' + y(v).toFixed(1) + ' ';
        pen = true;
        // A dot per bucket, so that a lone bucket shows and each value can be read.
        dots.push(s('circle', { class: 'dot-' + key, cx: x, cy: y(v), r: 3 }, [s('title', {}, [longLabel(b.t) + ': ' + key + ' ' + fmtMs(v)])]));
      });
      if (d) f.svg.appendChild(s('path', { class: cls, d: d, 'stroke-linecap': 'round' }, [s('title', {}, [key])]));
      dots.forEach((dot) => f.svg.appendChild(dot));
    });
    return f.svg;
  });
  return box;
}

// The share of attempts that succeeded in each bucket, 0 to 100 %.
export function successRate(stats) {
  const bs = buckets(stats);
  const t = stats.total;
  const all = t.success + t.fail;
  const rate = all ? Math.round((t.success / all) * 1000) / 10 : null;
  const aria = all ? 'Success rate over the window: ' + rate + ' % of ' + all + ' attempts.' : 'Success rate: no attempts in this window.';
  const box = holder('chart-rate');
  box.setAttribute('data-rate', rate === null ? '' : String(rate));
  const area = document.createElement('div');
  box.appendChild(area);
  box.appendChild(legend([['sw-rate', 'success rate (share of attempts that were delivered)']]));
  mount(area, (width) => {
    const f = frame(width, bs, stats.bucketSecs, aria);
    const y = (v) => M.top + f.ph - (v / 100) * f.ph;
    yAxis(f, [0, 50, 100], y, (v) => v + ' %');
    if (!all) empty(f, 'No attempts in this window');
    let d = '';
    let pen = false;
    bs.forEach((b, i) => {
      const n = b.success + b.fail;
      if (!n) {
        pen = false;
        return;
      }
      const r = (b.success / n) * 100;
      const x = M.left + i * f.step + f.step / 2;
      d += (pen ? 'L' : 'M') + x.toFixed(1) + ' ' + y(r).toFixed(1) + ' ';
      pen = true;
      f.svg.appendChild(s('circle', { class: 'dot-rate', cx: x, cy: y(r), r: 3 }, [s('title', {}, [longLabel(b.t) + ': ' + Math.round(r) + ' % of ' + n])]));
    });
    if (d) f.svg.appendChild(s('path', { class: 'l-rate', d: d }));
    return f.svg;
  });
  return box;
}

// A tiny bar per bucket coloured by whether its attempts all succeeded, for tables.
export function spark(stats) {
  const bs = buckets(stats);
  const w = 140;
  const hgt = 28;
  const t = stats.total;
  const all = t.success + t.fail;
  const svg = s('svg', { class: 'spark', viewBox: '0 0 ' + w + ' ' + hgt, role: 'img', preserveAspectRatio: 'none',
    'aria-label': all ? Math.round((t.success / all) * 100) + ' % of ' + all + ' attempts succeeded' : 'no attempts' });
  const step = w / Math.max(1, bs.length);
  bs.forEach((b, i) => {
    const n = b.success + b.fail;
    const cls = !n ? 'bar-none' : b.fail ? 'bar-bad' : 'bar-ok';
    const hh = !n ? 3 : Math.max(4, (b.success / n) * hgt);
    svg.appendChild(s('rect', { class: cls, x: i * step + 0.5, width: Math.max(0.5, step - 1), y: hgt - hh, height: hh }));
  });
  return svg;
}
