// retailflow live dashboard.
// Loads /api/snapshot, then follows /api/events (server-sent events: `hello` carries a full
// snapshot, `results` one batch of results plus health) and keeps the page in step with the same
// retention rules as the server. Every value from the data reaches the DOM as text only.
// `?live=0` in the page's URL renders /api/snapshot alone, without the event stream.
'use strict';

const KEEP_WINDOWS = 60;
const KEEP_FEED = 100;
const SECOND = 1000;
const LAG_WARN_MS = 10 * SECOND;
const LAG_BAD_MS = 60 * SECOND;
const CHECKPOINT_WARN_MS = 30 * SECOND;
const CHECKPOINT_BAD_MS = 120 * SECOND;
const DEAD_LETTER_BAD_SHARE = 0.01;
const RETRY_SNAPSHOT_MS = 3 * SECOND;
const RECONNECT_MS = 10 * SECOND;

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#bab0ac', '#e15759'];
const TOTAL_COLOUR = '#1e293b';
const FONT_STACK = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif';
const MARK = { warn: '▲', bad: '✖' };

// ---------------------------------------------------------------- formatting

const isNum = (x) => typeof x === 'number' && Number.isFinite(x);
const str = (x) => (x === null || x === undefined ? '' : String(x));

function fmtInt(n) {
  return isNum(n) ? Math.round(n).toLocaleString('en-US') : '—';
}

function fmtMoney(n) {
  return isNum(n) ? n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : '—';
}

function fmtDecimal(n, digits) {
  return isNum(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—';
}

function fmtRate(n) {
  return isNum(n) ? n.toLocaleString('en-US', { maximumFractionDigits: Math.abs(n) >= 100 ? 0 : 1 }) : '—';
}

function fmtPercent(share) {
  return isNum(share) ? (share * 100).toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 }) + '%' : '—';
}

function fmtSmallPercent(share) {
  return isNum(share) ? (share * 100).toLocaleString('en-US', { maximumSignificantDigits: 2 }) + '%' : '—';
}

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
function fmtCompact(n) {
  return isNum(n) ? compact.format(n) : '';
}

function fmtDuration(ms) {
  if (!isNum(ms)) return '—';
  if (ms < SECOND) return `${Math.round(ms)} ms`;
  if (ms < 60 * SECOND) return `${(ms / SECOND).toLocaleString('en-US', { maximumFractionDigits: 1 })} s`;
  const s = Math.round(ms / SECOND);
  const two = (v) => String(v).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m ${two(s % 60)}s`;
  return `${Math.floor(s / 3600).toLocaleString('en-US')}h ${two(Math.floor((s % 3600) / 60))}m`;
}

function hms(iso) {
  if (typeof iso !== 'string') return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const two = (v) => String(v).padStart(2, '0');
  return `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

const span = (start, end) => `${hms(start)}–${hms(end)}`;

// ---------------------------------------------------------------- DOM

function h(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null) continue;
    if (key === 'class') node.className = value;
    else if (key === 'data') Object.assign(node.dataset, value);
    else if (key === 'background') node.style.backgroundColor = value;
    else if (key.startsWith('aria-')) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(str(child)));
  }
  return node;
}

const byId = (id) => document.getElementById(id);
const setText = (id, text) => { byId(id).textContent = text; };

// ---------------------------------------------------------------- state

const state = {
  health: null,
  windows: [],
  top_stores: null,
  popular_items: [],
  big_receipts: [],
  anomalies: [],
  bought_together: null,
  top_store_history: [],
};

const view = {
  dirty: new Set(),
  freshReceipts: 0,
  freshAlerts: 0,
  previousDeadLetters: null,
  deadLettersRise: 0,
  ready: false,
  helloSeen: false,
};

const ALL_PARTS = ['health', 'topStores', 'revenue', 'bigReceipts', 'popular', 'alerts', 'pairs'];
const array = (x) => (Array.isArray(x) ? x : []);
const object = (x) => (x && typeof x === 'object' && !Array.isArray(x) ? x : null);

function keepLast(list, n) {
  if (list.length > n) list.splice(0, list.length - n);
}

function keepFirst(list, n) {
  if (list.length > n) list.length = n;
}

function loadSnapshot(snapshot) {
  const snap = object(snapshot);
  if (!snap) return;
  state.windows = array(snap.windows).slice(-KEEP_WINDOWS);
  state.top_stores = object(snap.top_stores);
  state.popular_items = array(snap.popular_items).slice();
  state.big_receipts = array(snap.big_receipts).slice(0, KEEP_FEED);
  state.anomalies = array(snap.anomalies).slice(0, KEEP_FEED);
  state.bought_together = object(snap.bought_together);
  state.top_store_history = array(snap.top_store_history).slice(-KEEP_WINDOWS);
  view.freshReceipts = 0;
  view.freshAlerts = 0;
  setHealth(snap.health);
  ALL_PARTS.forEach((part) => view.dirty.add(part));
  render();
  if (!view.ready) {
    view.ready = true;
    document.body.dataset.ready = '1';
  }
}

function applyResult(result) {
  const r = object(result);
  if (!r) return;
  switch (r.kind) {
    case 'window_summary':
      state.windows.push(r);
      keepLast(state.windows, KEEP_WINDOWS);
      view.dirty.add('revenue').add('topStores');
      break;
    case 'top_stores':
      state.top_stores = r;
      state.top_store_history.push(r);
      keepLast(state.top_store_history, KEEP_WINDOWS);
      view.dirty.add('topStores').add('revenue');
      break;
    case 'popular_items': {
      const current = state.popular_items;
      if (current.length > 0 && current[0].window_start !== r.window_start) {
        state.popular_items = [r];
      } else {
        const at = current.findIndex((p) => p.category === r.category);
        if (at >= 0) current[at] = r;
        else current.push(r);
      }
      view.dirty.add('popular');
      break;
    }
    case 'big_receipt':
      state.big_receipts.unshift(r);
      keepFirst(state.big_receipts, KEEP_FEED);
      view.freshReceipts += 1;
      view.dirty.add('bigReceipts');
      break;
    case 'store_anomaly':
    case 'cashier_alert':
      state.anomalies.unshift(r);
      keepFirst(state.anomalies, KEEP_FEED);
      view.freshAlerts += 1;
      view.dirty.add('alerts');
      break;
    case 'bought_together':
      state.bought_together = r;
      view.dirty.add('pairs');
      break;
    default:
      break;
  }
}

function applyBatch(message) {
  const msg = object(message);
  if (!msg) return;
  array(msg.results).forEach(applyResult);
  if (msg.health) setHealth(msg.health);
  render();
  document.body.dataset.events = String((Number(document.body.dataset.events) || 0) + 1);
}

function deadLetterTotal(health) {
  return Object.values(object(health.dead_letters) || {}).reduce((sum, n) => sum + (isNum(n) ? n : 0), 0);
}

function setHealth(health) {
  const next = object(health);
  if (!next) return;
  const total = deadLetterTotal(next);
  view.deadLettersRise = view.previousDeadLetters === null ? 0 : Math.max(0, total - view.previousDeadLetters);
  view.previousDeadLetters = total;
  state.health = next;
  view.dirty.add('health');
}

// ---------------------------------------------------------------- rendering

function render() {
  const parts = view.dirty;
  if (parts.has('health')) renderHealth();
  if (parts.has('topStores')) renderTopStores();
  if (parts.has('revenue')) renderRevenue();
  if (parts.has('bigReceipts')) renderBigReceipts();
  if (parts.has('popular')) renderPopular();
  if (parts.has('alerts')) renderAlerts();
  if (parts.has('pairs')) renderPairs();
  parts.clear();
  view.freshReceipts = 0;
  view.freshAlerts = 0;
}

function setFigure(id, { value, level = 'ok', flag = '', note = '', title = '' }) {
  const fig = byId(id);
  fig.dataset.level = level;
  fig.querySelector('.value').textContent = value;
  const flagged = level !== 'ok' && flag ? `${MARK[level]} ${flag}` : '';
  fig.querySelector('.note').textContent = flagged || note;
  const label = fig.querySelector('.label').textContent;
  fig.title = [`${label}: ${value}`, flagged, note, title].filter(Boolean).join('\n');
}

function lagLevel(ms, warn, bad) {
  if (!isNum(ms)) return 'ok';
  if (ms > bad) return 'bad';
  if (ms > warn) return 'warn';
  return 'ok';
}

function renderHealth() {
  const hl = state.health;
  if (!hl) return;

  setText('health-job', str(hl.job));
  const stateEl = byId('health-state');
  stateEl.textContent = str(hl.state) || '—';
  stateEl.dataset.level = hl.state === 'running' ? 'ok' : 'warn';
  setText('health-updated', `updated ${hms(hl.updated)} UTC`);
  byId('health-updated').title = str(hl.updated);

  setFigure('health-received', { value: fmtInt(hl.received) });
  const inFlight = isNum(hl.received) && isNum(hl.processed) ? hl.received - hl.processed : null;
  setFigure('health-processed', { value: fmtInt(hl.processed), note: isNum(inFlight) ? `${fmtInt(inFlight)} in flight` : '' });
  setFigure('health-rate', { value: fmtRate(hl.receipts_per_s) });

  const reasons = Object.entries(object(hl.dead_letters) || {}).sort(([a], [b]) => a.localeCompare(b));
  const total = deadLetterTotal(hl);
  const share = isNum(hl.received) && hl.received > 0 ? total / hl.received : 0;
  const deadBad = share > DEAD_LETTER_BAD_SHARE;
  const rise = view.deadLettersRise;
  const deadLevel = deadBad ? 'bad' : rise > 0 ? 'warn' : 'ok';
  setFigure('health-dead-letters', {
    value: fmtInt(total),
    level: deadLevel,
    flag: deadBad ? `${fmtSmallPercent(share)} of all` : `rising +${fmtInt(rise)}`,
    note: `${fmtSmallPercent(share)} of all`,
    title: [rise > 0 ? `+${fmtInt(rise)} since the previous update` : '',
      ...reasons.map(([reason, n]) => `${reason}: ${fmtInt(n)}`)].filter(Boolean).join('\n'),
  });
  const reasonItems = reasons.map(([reason, n]) => h('li', { class: 'reason', data: { reason: str(reason) } },
    h('span', { class: 'reason-name' }, str(reason)), h('span', { class: 'reason-count' }, fmtInt(n))));
  byId('health-dead-letters').querySelector('.reasons')
    .replaceChildren(...(reasonItems.length ? reasonItems : [h('li', { class: 'reason empty' }, 'none')]));

  setFigure('health-late', { value: fmtInt(hl.late), title: 'records behind the watermark' });
  setFigure('health-watermark', {
    value: hl.watermark ? hms(hl.watermark) : '—',
    note: hl.watermark ? 'UTC' : 'none yet',
    title: str(hl.watermark),
  });
  const lagLvl = lagLevel(hl.watermark_lag_ms, LAG_WARN_MS, LAG_BAD_MS);
  setFigure('health-watermark-lag', {
    value: fmtDuration(hl.watermark_lag_ms),
    level: lagLvl,
    flag: lagLvl === 'bad' ? 'far behind' : 'lagging',
    note: isNum(hl.watermark_lag_ms) ? '' : 'none yet',
  });
  setFigure('health-batches', { value: fmtInt(hl.batches) });

  const cp = object(hl.checkpoint);
  const cpLvl = cp ? lagLevel(cp.age_ms, CHECKPOINT_WARN_MS, CHECKPOINT_BAD_MS) : 'ok';
  setFigure('health-checkpoint-age', {
    value: cp ? fmtDuration(cp.age_ms) : '—',
    level: cpLvl,
    flag: cpLvl === 'bad' ? 'overdue' : 'stale',
    note: cp ? `last took ${fmtDuration(cp.last_duration_ms)}` : 'no checkpoints',
  });

  renderPartitions(array(hl.partitions));
}

function renderPartitions(partitions) {
  const fig = byId('health-partitions');
  fig.dataset.level = 'ok';
  const rows = partitions.map((p) => h('li', {
    class: 'partition',
    data: { idle: p.idle ? 'true' : 'false' },
    title: `${str(p.partition)}: watermark ${p.watermark ? str(p.watermark) : 'none yet'}${p.idle ? ', idle' : ''}, lag ${isNum(p.lag) ? fmtInt(p.lag) : 'unknown'}`,
  },
    h('span', { class: 'partition-name' }, str(p.partition)),
    h('span', { class: 'partition-watermark' }, p.watermark ? hms(p.watermark) : '—'),
    h('span', { class: 'partition-lag' }, p.idle ? 'idle' : isNum(p.lag) ? `lag ${fmtInt(p.lag)}` : 'lag —')));
  fig.querySelector('.partitions').replaceChildren(...(rows.length ? rows : [h('li', { class: 'empty' }, 'no partitions yet')]));
}

function storeColours(topStores) {
  const colours = new Map();
  array(topStores && topStores.stores).forEach((s, i) => colours.set(s.store_id, PALETTE[i % PALETTE.length]));
  return colours;
}

function emptyRow(columns, text) {
  return h('tr', { class: 'empty' }, h('td', { colSpan: columns }, text));
}

function renderTopStores() {
  const top = state.top_stores;
  const stores = array(top && top.stores);
  const colours = storeColours(top);
  setText('top-stores-window', top ? `window ${span(top.window_start, top.window_end)} UTC` : 'no closed window yet');

  const summary = top ? state.windows.find((w) => w.window_start === top.window_start) : null;
  const windowRevenue = summary && isNum(summary.revenue) && summary.revenue > 0 ? summary.revenue : null;
  const rows = stores.map((s, i) => h('tr', null,
    h('td', { class: 'num rank' }, String(i + 1)),
    h('td', { class: 'store' }, h('span', { class: 'swatch', background: colours.get(s.store_id), 'aria-hidden': 'true' }), h('span', { class: 'store-id' }, str(s.store_id))),
    h('td', { class: 'num revenue' }, fmtMoney(s.revenue)),
    h('td', { class: 'num receipts' }, fmtInt(s.receipts)),
    h('td', { class: 'num share' }, windowRevenue && isNum(s.revenue) ? fmtPercent(s.revenue / windowRevenue) : '—')));
  byId('top-stores-list').tBodies[0].replaceChildren(...(rows.length ? rows : [emptyRow(5, 'No closed window yet.')]));

  const chart = charts.topStores;
  if (!chart) return;
  chart.data.labels = stores.map((s) => str(s.store_id));
  chart.data.datasets[0].data = stores.map((s) => (isNum(s.revenue) ? s.revenue : 0));
  chart.data.datasets[0].backgroundColor = stores.map((s) => colours.get(s.store_id));
  chart.$receipts = stores.map((s) => s.receipts);
  chart.update('none');
}

function isolatedPointRadius(ctx) {
  const data = ctx.dataset.data;
  const i = ctx.dataIndex;
  const missing = (j) => j < 0 || j >= data.length || data[j] === null;
  return !missing(i) && missing(i - 1) && missing(i + 1) ? 2.5 : 0;
}

function renderRevenue() {
  const last = state.windows[state.windows.length - 1];
  setText('revenue-summary', last
    ? `last window ${span(last.window_start, last.window_end)}: ${fmtMoney(last.revenue)} · ${fmtInt(last.receipts)} receipts · ${fmtInt(last.items)} items`
    : 'no closed window yet');

  const chart = charts.revenue;
  if (!chart) return;
  const byStart = new Map(state.top_store_history.map((t) => [t.window_start, t]));
  const colours = storeColours(state.top_stores);
  const storeSets = [...colours.entries()].map(([storeId, colour]) => ({
    label: str(storeId),
    yAxisID: 'stores',
    borderColor: colour,
    backgroundColor: colour,
    borderWidth: 1.5,
    pointRadius: isolatedPointRadius,
    data: state.windows.map((w) => {
      const t = byStart.get(w.window_start);
      const entry = t ? array(t.stores).find((s) => s.store_id === storeId) : null;
      return entry && isNum(entry.revenue) ? entry.revenue : null;
    }),
  }));
  chart.data.labels = state.windows.map((w) => hms(w.window_start));
  chart.data.datasets = [{
    label: 'Total',
    yAxisID: 'total',
    borderColor: TOTAL_COLOUR,
    backgroundColor: TOTAL_COLOUR,
    borderWidth: 2.5,
    data: state.windows.map((w) => (isNum(w.revenue) ? w.revenue : null)),
  }, ...storeSets];
  chart.update('none');
}

function renderBigReceipts() {
  const list = state.big_receipts;
  setText('big-receipts-count', list.length ? `${fmtInt(list.length)} most recent, newest first` : 'none yet');
  const rows = list.map((r, i) => h('tr', { class: i < view.freshReceipts ? 'receipt fresh' : 'receipt' },
    h('td', { class: 'ts', title: str(r.ts) }, hms(r.ts)),
    h('td', { class: 'receipt-id' }, str(r.receipt_id)),
    h('td', { class: 'store' }, str(r.store_id)),
    h('td', { class: 'cashier' }, str(r.cashier_id)),
    h('td', { class: 'num total' }, fmtMoney(r.total))));
  byId('big-receipts').querySelector('tbody').replaceChildren(...(rows.length ? rows : [emptyRow(5, 'No big receipts yet.')]));
}

function renderPopular() {
  const sets = state.popular_items.slice().sort((a, b) => str(a.category).localeCompare(str(b.category)));
  const first = sets[0];
  setText('popular-window', first ? `window ${span(first.window_start, first.window_end)} UTC · units sold` : 'no closed window yet');
  const blocks = sets.map((set) => {
    const items = array(set.items);
    const top = Math.max(1, ...items.map((it) => (isNum(it.quantity) ? it.quantity : 0)));
    return h('section', { class: 'category', title: str(set.category) },
      h('h3', { class: 'category-name' }, str(set.category)),
      h('ol', { class: 'items' }, ...items.map((it) => {
        const fill = h('span', { class: 'bar-fill' });
        fill.style.width = `${Math.max(2, ((isNum(it.quantity) ? it.quantity : 0) / top) * 100)}%`;
        return h('li', { class: 'item', title: `${str(it.name)}: ${fmtInt(it.quantity)}` },
          h('span', { class: 'item-name' }, str(it.name)),
          h('span', { class: 'item-qty' }, fmtInt(it.quantity)),
          h('span', { class: 'bar', 'aria-hidden': 'true' }, fill));
      })));
  });
  byId('popular-items').replaceChildren(...(blocks.length ? blocks : [h('p', { class: 'empty' }, 'No closed window yet.')]));
}

function describeAlert(a) {
  if (a.kind === 'store_anomaly') {
    return `${str(a.store_id)} revenue ${fmtMoney(a.revenue)} is a ${str(a.direction)}: expected ${fmtMoney(a.expected)} ± ${fmtMoney(a.stddev)} (z ${fmtDecimal(a.z, 1)}), window ${span(a.window_start, a.window_end)}`;
  }
  const n = array(a.receipts).length;
  return `cashier ${str(a.cashier_id)} at ${str(a.store_id)}: ${fmtInt(n)} big receipt${n === 1 ? '' : 's'} totalling ${fmtMoney(a.total)} within ${span(a.first_ts, a.last_ts)}`;
}

function alertBadge(a) {
  if (a.kind === 'cashier_alert') return '◆ cashier';
  if (a.direction === 'drop') return '▼ drop';
  if (a.direction === 'spike') return '▲ spike';
  return `● ${str(a.direction)}`;
}

function renderAlerts() {
  const list = state.anomalies;
  setText('alerts-count', list.length ? `${fmtInt(list.length)} most recent, newest first` : 'none yet');
  const items = list.map((a, i) => {
    const cashier = a.kind === 'cashier_alert';
    return h('li', {
      class: i < view.freshAlerts ? 'alert fresh' : 'alert',
      data: { kind: str(a.kind), direction: cashier ? 'cashier' : str(a.direction) },
    },
    h('span', { class: 'badge' }, alertBadge(a)),
    h('span', { class: 'when', title: cashier ? str(a.last_ts) : str(a.window_start) }, hms(cashier ? a.last_ts : a.window_start)),
    h('span', { class: 'text' }, describeAlert(a)),
    cashier ? h('span', { class: 'detail' }, `receipts ${array(a.receipts).map(str).join(', ')}`) : null);
  });
  byId('alerts').replaceChildren(...(items.length ? items : [h('li', { class: 'empty' }, 'No anomalies or cashier alerts yet.')]));
}

function renderPairs() {
  const bt = state.bought_together;
  const pairs = array(bt && bt.pairs);
  setText('pairs-window', bt ? `window ${span(bt.window_start, bt.window_end)} UTC · ${fmtInt(bt.receipts)} receipts` : 'no closed window yet');
  const rows = pairs.map((p) => h('tr', { class: 'pair' },
    h('td', { class: 'items' }, h('span', { class: 'pair-a' }, str(p.a)), h('span', { class: 'plus' }, ' + '), h('span', { class: 'pair-b' }, str(p.b))),
    h('td', { class: 'num receipts' }, fmtInt(p.receipts)),
    h('td', { class: 'num support' }, fmtPercent(p.support)),
    h('td', { class: 'num confidence-ab' }, fmtPercent(p.confidence_ab)),
    h('td', { class: 'num confidence-ba' }, fmtPercent(p.confidence_ba)),
    h('td', { class: 'num lift' }, fmtDecimal(p.lift, 2))));
  byId('pairs').tBodies[0].replaceChildren(...(rows.length ? rows : [emptyRow(6, bt ? 'No pairs in the last window.' : 'No closed window yet.')]));
}

// ---------------------------------------------------------------- charts

const charts = { topStores: null, revenue: null };

function createCharts() {
  if (typeof Chart === 'undefined') return;
  Chart.defaults.font.family = FONT_STACK;
  Chart.defaults.font.size = 12;
  Chart.defaults.color = '#475569';
  Chart.defaults.borderColor = '#e2e8f0';
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;

  charts.topStores = new Chart(byId('top-stores-chart'), {
    type: 'bar',
    data: { labels: [], datasets: [{ label: 'Revenue', data: [], backgroundColor: [], borderRadius: 3, barPercentage: 0.8 }] },
    options: {
      indexAxis: 'y',
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (ctx) => {
              const receipts = ctx.chart.$receipts ? ctx.chart.$receipts[ctx.dataIndex] : null;
              return `revenue ${fmtMoney(ctx.parsed.x)}${isNum(receipts) ? ` · ${fmtInt(receipts)} receipts` : ''}`;
            },
          },
        },
      },
      scales: {
        x: { beginAtZero: true, ticks: { callback: (v) => fmtCompact(v), maxTicksLimit: 6 } },
        y: { grid: { display: false } },
      },
    },
  });

  charts.revenue = new Chart(byId('revenue-chart'), {
    type: 'line',
    data: { labels: [], datasets: [] },
    options: {
      interaction: { mode: 'index', intersect: false },
      elements: { point: { radius: 0, hoverRadius: 4 }, line: { tension: 0.2 } },
      spanGaps: false,
      plugins: {
        legend: { position: 'top', align: 'end', labels: { boxWidth: 12, boxHeight: 12 } },
        tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${fmtMoney(ctx.parsed.y)}` } },
      },
      scales: {
        x: { ticks: { maxTicksLimit: 8, maxRotation: 0 }, grid: { display: false } },
        stores: {
          position: 'left', stack: 'revenue', stackWeight: 2, offset: true, beginAtZero: true,
          title: { display: true, text: 'per store' }, ticks: { callback: (v) => fmtCompact(v), maxTicksLimit: 6 },
        },
        total: {
          position: 'left', stack: 'revenue', stackWeight: 1, offset: true,
          title: { display: true, text: 'total' }, ticks: { callback: (v) => fmtCompact(v), maxTicksLimit: 4 },
        },
      },
    },
  });
}

// ---------------------------------------------------------------- connection

function setConnection(mode, text) {
  const el = byId('connection');
  el.dataset.state = mode;
  el.textContent = text;
}

function parse(data) {
  try {
    return JSON.parse(data);
  } catch {
    return null;
  }
}

async function fetchSnapshot() {
  try {
    const response = await fetch('api/snapshot', { cache: 'no-store', headers: { Accept: 'application/json' } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const snapshot = await response.json();
    if (!view.helloSeen) loadSnapshot(snapshot);
  } catch {
    if (!view.ready) setTimeout(() => { if (!view.helloSeen) fetchSnapshot(); }, RETRY_SNAPSHOT_MS);
  }
}

function connect() {
  if (typeof EventSource === 'undefined') {
    setConnection('offline', '○ no live updates in this browser');
    return;
  }
  const source = new EventSource('api/events');
  source.addEventListener('open', () => setConnection('live', '● live'));
  source.addEventListener('hello', (event) => {
    const snapshot = parse(event.data);
    if (!snapshot) return;
    view.helloSeen = true;
    loadSnapshot(snapshot);
    setConnection('live', '● live');
  });
  source.addEventListener('results', (event) => {
    const message = parse(event.data);
    if (message) applyBatch(message);
  });
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) {
      source.close();
      setConnection('offline', '○ offline, retrying');
      view.helloSeen = false;
      fetchSnapshot();
      setTimeout(connect, RECONNECT_MS);
    } else {
      setConnection('reconnecting', '◌ reconnecting…');
    }
  });
}

function start() {
  createCharts();
  ALL_PARTS.forEach((part) => view.dirty.add(part));
  render();
  if (new URLSearchParams(window.location.search).get('live') === '0') {
    setConnection('static', '○ snapshot only');
  } else {
    connect();
  }
  fetchSnapshot();
}

start();
