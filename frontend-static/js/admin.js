// The admin view (administrators only; every route it calls checks the role again on the server):
// charts of the platform's figures over 7, 30 or 90 days (Chart.js, which the edge serves from
// Debian's libjs-chart.js on this origin), the accounts with their storage against the quota, and
// the jobs: waiting, running, recent failures and dead letters, with Retry, Discard and Re-run
// captions.

import { api, queryString } from './api.js';
import { $, h, showMessage, showError, clearMessage, formatBytes, formatDate } from './ui.js';

/** Chart.js 3's ES module build (scripts/edge/nginx.conf.template: /vendor/chart.js/). */
export const CHART_JS = '/vendor/chart.js/chart.esm.js';
/** How many accounts the list shows at most (pages of 100 from GET /api/users). */
const ACCOUNT_PAGES = 20;
/** How many waiting video IDs are listed. */
const NEXT_SHOWN = 20;

const view = document.getElementById('view-admin');
const controls = $('#admin-controls');
const rangeSelect = $('#admin-range');
const updatedEl = $('#admin-updated');
const chartsNote = $('#admin-charts-note');
const accountsSummary = $('#admin-accounts-summary');
const accountsBody = $('#admin-accounts tbody');
const jobsStatus = $('#admin-jobs-status');
const queueSummary = $('#admin-queue-summary');
const waitingBody = $('#admin-waiting tbody');
const nextList = $('#admin-next');
const runningBody = $('#admin-running tbody');
const failuresBody = $('#admin-failures tbody');
const deadBody = $('#admin-dead tbody');
const rerunForm = $('#admin-rerun-form');
const rerunInput = $('#admin-rerun-video');
const rerunStatus = $('#admin-rerun-status');

let generation = 0;
let chartLibrary = null; // the promise of Chart (registered), once asked for

export const adminView = {
  el: view,
  enter() { load(); },
  leave() { generation += 1; },
};

// --- Loading ---

/** Every account, following the cursor (at most ACCOUNT_PAGES pages of 100). */
async function allUsers() {
  const users = [];
  let cursor = null;
  for (let page = 0; page < ACCOUNT_PAGES; page += 1) {
    const body = await api(`/api/users?${queryString({ limit: 100, cursor })}`);
    users.push(...body.users);
    cursor = body.nextCursor || null;
    if (!cursor) break;
  }
  return users;
}

/** Loads every section at once; a section whose call failed says so, the first error is shown. */
async function load() {
  const gen = ++generation;
  const days = Number(rangeSelect.value) || 30;
  view.setAttribute('aria-busy', 'true');
  const results = await Promise.allSettled([
    api(`/api/stats?${queryString({ days })}`),
    api('/api/queue'),
    allUsers(),
    api('/api/videos/usage/owners'),
    api('/api/jobs/dead'),
  ]);
  if (gen !== generation) return;
  const [stats, queue, users, usage, dead] = results.map((r) => (r.status === 'fulfilled' ? r.value : null));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) showError(failed.reason);
  const people = new Map((users || []).map((u) => [u.id, u]));
  try {
    renderAccounts(users, usage);
    renderQueue(queue, people);
    renderDead(dead, people);
    await renderCharts(stats, days, gen);
  } catch (err) {
    showError(err);
  } finally {
    if (gen === generation) {
      view.removeAttribute('aria-busy');
      updatedEl.textContent = `Updated ${formatDate(new Date().toISOString())}.`;
    }
  }
}

// --- Charts ---

/** Chart.js, loaded the first time the charts are drawn. */
function chartJs() {
  if (!chartLibrary) {
    chartLibrary = import(CHART_JS).then(({ Chart, registerables }) => {
      Chart.register(...registerables);
      const style = getComputedStyle(document.documentElement);
      Chart.defaults.color = style.getPropertyValue('--muted').trim() || '#5b6470';
      Chart.defaults.borderColor = style.getPropertyValue('--border').trim() || '#d6dae0';
      Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
      return Chart;
    });
    chartLibrary.catch(() => { chartLibrary = null; }); // asked again on the next load
  }
  return chartLibrary;
}

const dayKey = (date) => date.toISOString().slice(0, 10);
const shortDay = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });
const longDay = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });
const dayText = (key, format = longDay) => format.format(new Date(`${key}T00:00:00Z`));

/**
 * The UTC days the x axis covers: the last `days` up to today (the server counts in UTC days
 * too), widened to any day the figures have that falls outside (a clock a little off).
 */
function axisDays(days, perDay) {
  const now = new Date();
  const keys = [];
  for (let back = days - 1; back >= 0; back -= 1) {
    keys.push(dayKey(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - back))));
  }
  const extra = perDay.map((d) => d.day).filter((day) => !keys.includes(day));
  return [...keys, ...extra].sort();
}

/** The last day with a value for `field`: { day, value } or null. */
function latest(perDay, field) {
  for (let i = perDay.length - 1; i >= 0; i -= 1) {
    const value = perDay[i][field];
    if (typeof value === 'number' && Number.isFinite(value)) return { day: perDay[i].day, value };
  }
  return null;
}

const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);
const seconds = (value) => (isNumber(value) ? `${value < 10 ? value.toFixed(1) : Math.round(value)} s` : '—');
const factor = (value) => (isNumber(value) ? `${value.toFixed(2)}×` : '—');
const percent = (value) => (isNumber(value) ? `${(value * 100).toFixed(1)} %` : '—');
const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/** Sets a figure's text and its raw value (data-value, for tests and tools; '' when there is none). */
function setFigure(el, text, value, extra = {}) {
  el.textContent = text;
  el.dataset.value = isNumber(value) ? String(value) : '';
  Object.assign(el.dataset, extra);
}

/** The figures beside the charts, then the charts (the figures show even if Chart.js is missing). */
async function renderCharts(stats, days, gen) {
  if (!stats) return;
  const perDay = [...(stats.uploads?.perDay || [])].sort((a, b) => (a.day < b.day ? -1 : 1));
  // The range's own figures, summed from its days (the API's `totals` cover every upload ever).
  const sum = (field) => perDay.reduce((total, d) => total + (isNumber(d[field]) ? d[field] : 0), 0);
  const ready = sum('ready'), failed = sum('failed');
  const totals = {
    uploads: sum('uploads'), bytes: sum('bytes'), ready, failed, inFlight: stats.uploads?.totals?.inFlight ?? 0,
    successRate: ready + failed > 0 ? ready / (ready + failed) : null,
  };
  const processing = stats.uploads?.processing || {};
  const queue = stats.queue || {};
  const range = `in the last ${plural(days, 'day', 'days')}`;

  setFigure($('#figure-uploads'), `${plural(totals.uploads ?? 0, 'upload', 'uploads')} ${range}`, totals.uploads ?? 0);
  setFigure($('#figure-bytes'), `${formatBytes(totals.bytes ?? 0)} ${range}`, totals.bytes ?? 0);
  setFigure($('#figure-success'),
    `${percent(totals.successRate)} succeeded ${range} (${totals.ready} ready, ${totals.failed} failed; ${totals.inFlight} in flight now)`,
    totals.successRate, { ready: String(totals.ready ?? 0), failed: String(totals.failed ?? 0), inFlight: String(totals.inFlight ?? 0) });
  setFigure($('#figure-processing'),
    isNumber(processing.medianSecondsPerMinute)
      ? `Median ${seconds(processing.medianSecondsPerMinute)} per minute of video, all time (95th percentile ${seconds(processing.p95SecondsPerMinute)}; ${plural(processing.videos ?? 0, 'video', 'videos')})`
      : 'No video processed yet',
    processing.medianSecondsPerMinute);
  const wait = latest(perDay, 'medianQueueWaitSeconds');
  setFigure($('#figure-wait'), wait ? `${seconds(wait.value)} on ${dayText(wait.day)}` : `No job waited ${range}`,
    wait?.value, { day: wait?.day || '' });
  const rtf = latest(perDay, 'medianTranscriptionRealTimeFactor');
  setFigure($('#figure-rtf'), rtf ? `${factor(rtf.value)} real time on ${dayText(rtf.day)}` : `Nothing transcribed ${range}`,
    rtf?.value, { day: rtf?.day || '' });
  const deadLetters = stats.deadLetters?.jobs ?? 0;
  setFigure($('#figure-queue'),
    `${queue.waiting ?? 0} waiting, ${queue.inProgress ?? 0} in progress, ${queue.delayed ?? 0} delayed; ${plural(deadLetters, 'dead letter', 'dead letters')}`,
    queue.waiting ?? 0,
    { waiting: String(queue.waiting ?? 0), inProgress: String(queue.inProgress ?? 0), delayed: String(queue.delayed ?? 0), deadLetters: String(deadLetters) });

  let Chart;
  try {
    Chart = await chartJs();
  } catch {
    chartsNote.textContent = 'The charts could not be loaded (Chart.js is not on the server: install libjs-chart.js); the figures above each are current.';
    chartsNote.hidden = false;
    return;
  }
  if (gen !== generation) return;
  chartsNote.hidden = true;

  const labels = axisDays(days, perDay);
  const byDay = new Map(perDay.map((d) => [d.day, d]));
  const series = (field, missing = null, scale = 1) => labels.map((day) => {
    const value = byDay.get(day)?.[field];
    return isNumber(value) ? value * scale : missing;
  });
  const style = getComputedStyle(document.documentElement);
  const accent = style.getPropertyValue('--accent').trim() || '#2f5bd3';
  const danger = style.getPropertyValue('--danger').trim() || '#b42318';
  const notice = style.getPropertyValue('--notice-text').trim() || '#1e5631';

  const daily = [
    { id: 'uploads', type: 'bar', label: 'Uploads', data: series('uploads', 0), format: (v) => String(v), integer: true },
    { id: 'bytes', type: 'bar', label: 'Bytes', data: series('bytes', 0), format: formatBytes },
    { id: 'success', type: 'line', label: 'Success rate', data: series('successRate', null, 100), format: (v) => `${Math.round(v)} %`, max: 100 },
    { id: 'processing', type: 'line', label: 'Seconds per minute of video', data: series('medianSecondsPerMinute'), format: seconds },
    { id: 'wait', type: 'line', label: 'Queue wait', data: series('medianQueueWaitSeconds'), format: seconds },
    { id: 'rtf', type: 'line', label: 'Real-time factor', data: series('medianTranscriptionRealTimeFactor'), format: factor },
  ];
  for (const chart of daily) {
    const canvas = document.getElementById(`chart-${chart.id}`);
    const title = document.getElementById(`chart-${chart.id}-title`).textContent;
    draw(Chart, canvas, {
      type: chart.type,
      data: {
        labels,
        datasets: [{
          label: chart.label,
          data: chart.data,
          backgroundColor: chart.type === 'bar' ? accent : 'transparent',
          borderColor: accent,
          borderWidth: 2,
          pointRadius: chart.type === 'line' ? 3 : 0,
          pointBackgroundColor: accent,
          spanGaps: false, // a day without a figure is a gap, not a line drawn through it
        }],
      },
      options: options(chart.format, {
        x: { ticks: { maxRotation: 0, autoSkip: true, callback(value) { return dayText(this.getLabelForValue(value), shortDay); } } },
        y: {
          beginAtZero: true,
          ...(chart.max ? { max: chart.max } : {}),
          ticks: { ...(chart.integer ? { precision: 0 } : {}), callback: (v) => chart.format(v) },
        },
      }, (items) => dayText(items[0].label)),
    });
    canvas.setAttribute('aria-label', describe(title, labels, chart.data, chart.format));
  }

  const queueCanvas = $('#chart-queue');
  const queueValues = [queue.waiting ?? 0, queue.inProgress ?? 0, queue.delayed ?? 0];
  draw(Chart, queueCanvas, {
    type: 'bar',
    data: {
      labels: ['Waiting', 'In progress', 'Delayed (retries)'],
      datasets: [{ label: 'Jobs', data: queueValues, backgroundColor: [accent, notice, danger] }],
    },
    options: options((v) => String(v), { y: { beginAtZero: true, ticks: { precision: 0 } } }),
  });
  queueCanvas.setAttribute('aria-label',
    `Job queue now: ${queueValues[0]} waiting, ${queueValues[1]} in progress, ${queueValues[2]} delayed retries.`);
}

/** The options every chart shares: no animation, the parent's size, no legend (one series). */
function options(format, scales, tooltipTitle) {
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    scales,
    plugins: {
      legend: { display: false },
      tooltip: {
        callbacks: {
          ...(tooltipTitle ? { title: tooltipTitle } : {}),
          label: (item) => `${item.dataset.label}: ${format(item.parsed.y)}`,
        },
      },
    },
  };
}

/** Draws a chart on `canvas`, replacing the one drawn there before. */
function draw(Chart, canvas, config) {
  Chart.getChart(canvas)?.destroy();
  return new Chart(canvas, config);
}

/** The chart in words, for its canvas's aria-label. */
function describe(title, labels, data, format) {
  const known = data.map((value, i) => ({ value, day: labels[i] })).filter((p) => isNumber(p.value));
  const span = `${dayText(labels[0])} to ${dayText(labels[labels.length - 1])}`;
  if (!known.some((p) => p.value !== 0)) return `${title}, ${span}: nothing yet.`;
  const top = known.reduce((best, p) => (p.value > best.value ? p : best));
  const last = known[known.length - 1];
  return `${title}, ${span}: highest ${format(top.value)} on ${dayText(top.day)}; latest ${format(last.value)} on ${dayText(last.day)}.`;
}

// --- Accounts ---

function cell(label, className, ...content) {
  return h('td', { class: className, dataset: { label } }, ...content);
}

function emptyRow(columns, text) {
  return h('tr', { class: 'empty' }, h('td', { colspan: columns, text }));
}

function renderAccounts(users, usage) {
  if (!users) {
    accountsSummary.textContent = 'The accounts could not be loaded.';
    accountsBody.replaceChildren();
    return;
  }
  const quota = usage && isNumber(usage.quotaBytes) ? usage.quotaBytes : null;
  const stored = new Map((usage?.owners || []).map((o) => [o.owner, o]));
  const quotaText = !usage ? 'storage unknown' : quota === null ? 'no storage quota' : `quota ${formatBytes(quota)} each`;
  accountsSummary.textContent = `${plural(users.length, 'account', 'accounts')}; ${quotaText}.`;
  if (users.length === 0) {
    accountsBody.replaceChildren(emptyRow(6, 'No accounts.'));
    return;
  }
  accountsBody.replaceChildren(...users.map((u) => {
    const own = stored.get(u.id);
    const used = own?.storedBytes ?? 0;
    const storage = !usage ? '—' : `${formatBytes(used)} of ${quota === null ? 'unlimited' : formatBytes(quota)}`;
    const meter = usage && quota ? h('meter', {
      min: 0, max: 1, low: 0.75, high: 0.9, optimum: 0, value: Math.min(1, used / quota), 'aria-label': `${u.email}: ${storage}`,
    }) : null;
    return h('tr', { dataset: { userId: u.id } },
      cell('Email', 'email', u.email),
      cell('Name', 'name', u.displayName || '—'),
      cell('Role', 'role', u.role),
      cell('Status', 'disabled', u.disabled ? 'disabled' : 'active'),
      cell('Videos', 'videos', String(own?.videos ?? 0)),
      h('td', { class: 'storage', dataset: { label: 'Storage used', storedBytes: String(used) } }, h('span', { text: storage }), meter));
  }));
}

// --- Jobs ---

/** An owner as their email when the accounts list has them, else the ID. */
function who(people, id) {
  if (!id) return '—';
  const person = people.get(id);
  return person ? h('span', { title: id, text: person.email }) : h('code', { text: id });
}

/** A video as its title (when known) and ID; a dead letter without one held an unreadable job. */
const videoRef = (id, title) => (id
  ? h('span', { class: 'video-ref' }, title ? `${title} ` : '', h('code', { text: id }))
  : '—');

function renderQueue(queue, people) {
  if (!queue) {
    queueSummary.textContent = 'The queue could not be loaded.';
    for (const body of [waitingBody, runningBody, failuresBody]) body.replaceChildren();
    nextList.replaceChildren();
    return;
  }
  const waiting = queue.waiting || [];
  queueSummary.textContent = `${waiting.length} waiting, ${queue.inProgress ?? 0} in progress, ${queue.delayed ?? 0} delayed `
    + `(retries not yet due); policy: ${queue.policy || '—'}.`;
  const owners = queue.owners || [];
  waitingBody.replaceChildren(...(owners.length ? owners.map((o) => h('tr', { dataset: { owner: o.owner } },
    cell('Account', 'owner', who(people, o.owner)),
    cell('Waiting', 'count', String(o.waiting ?? 0)),
    cell('Oldest wait', 'wait', seconds(o.oldestWaitSeconds)),
    cell('Weight', 'weight', isNumber(o.weight) ? String(o.weight) : '1'))) : [emptyRow(4, 'Nothing waits.')]));
  nextList.replaceChildren(...waiting.slice(0, NEXT_SHOWN).map((id) => h('li', {}, h('code', { text: id }))));
  if (waiting.length > NEXT_SHOWN) nextList.append(h('li', { class: 'more', text: `and ${waiting.length - NEXT_SHOWN} more` }));

  const running = queue.running || [];
  runningBody.replaceChildren(...(running.length ? running.map((r) => h('tr', { dataset: { videoId: r.videoId } },
    cell('Video', 'video', videoRef(r.videoId)),
    cell('Worker', 'worker', r.worker || '—'),
    cell('Stage', 'stage', r.stage || 'starting'),
    cell('Progress', 'percent', isNumber(r.percent) ? `${Math.round(r.percent)} %` : '—'),
    cell('Since', 'since', r.since ? h('time', { datetime: r.since, text: formatDate(r.since) }) : '—'))) : [emptyRow(5, 'No job is running.')]));

  const failures = queue.recentFailures || [];
  failuresBody.replaceChildren(...(failures.length ? failures.map((f) => h('tr', { dataset: { videoId: f.videoId } },
    cell('Video', 'video', videoRef(f.videoId, f.title)),
    cell('Account', 'owner', who(people, f.owner)),
    cell('Reason', 'reason', f.reason || '—'),
    cell('Failed', 'failed', f.failedAt ? h('time', { datetime: f.failedAt, text: formatDate(f.failedAt) }) : '—'))) : [emptyRow(4, 'No recent failures.')]));
}

function renderDead(dead, people) {
  if (!dead) {
    deadBody.replaceChildren(emptyRow(7, 'The dead letters could not be loaded.'));
    return;
  }
  const letters = dead.deadLetters || [];
  if (letters.length === 0) {
    deadBody.replaceChildren(emptyRow(7, 'No dead letters.'));
    return;
  }
  deadBody.replaceChildren(...letters.map((d) => {
    const name = d.videoId ? `the job of video ${d.videoId}` : 'this job';
    const retry = h('button', { type: 'button', class: 'retry small', text: 'Retry', 'aria-label': `Retry ${name}` });
    const discard = h('button', { type: 'button', class: 'discard secondary small', text: 'Discard', 'aria-label': `Discard ${name}` });
    retry.addEventListener('click', () => act([retry, discard], jobsStatus,
      () => api(`/api/jobs/dead/${encodeURIComponent(d.id)}/retry`, { method: 'POST' }),
      (answer) => `Retried: video ${answer?.videoId || d.videoId} is back on the queue (${answer?.status || 'uploaded'}).`));
    discard.addEventListener('click', () => act([retry, discard], jobsStatus,
      () => api(`/api/jobs/dead/${encodeURIComponent(d.id)}`, { method: 'DELETE' }),
      () => `Discarded the dead letter${d.videoId ? ` of video ${d.videoId}` : ''}; the video stays failed.`));
    return h('tr', { dataset: { deadId: d.id, videoId: d.videoId || '' } },
      cell('Video', 'video', videoRef(d.videoId)),
      cell('Account', 'owner', who(people, d.owner)),
      cell('Reason', 'reason', d.reason || '—'),
      cell('Attempts', 'attempts', String(d.attempts ?? '—')),
      cell('Failed', 'failed', d.failedAt ? h('time', { datetime: d.failedAt, text: formatDate(d.failedAt) }) : '—'),
      cell('Video now', 'video-status', d.videoStatus || (d.videoId ? 'deleted' : '—')),
      cell('Actions', 'job-actions', retry, ' ', discard));
  }));
}

/**
 * Runs an action on a job: its buttons disabled meanwhile; on success `status` (the line beside
 * the buttons) says what happened and every list is loaded again; an error shows the API's
 * message, at the top as everywhere and on that line too.
 */
async function act(buttons, status, task, done) {
  for (const button of buttons) button.disabled = true;
  clearMessage();
  status.textContent = '';
  delete status.dataset.kind;
  try {
    const answer = await task();
    status.textContent = done(answer);
  } catch (err) {
    for (const button of buttons) button.disabled = false;
    showError(err);
    if (err?.name === 'ApiError') {
      status.textContent = err.message;
      status.dataset.kind = 'error';
    }
    return;
  }
  await load();
}

export function initAdmin() {
  controls.addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  rangeSelect.addEventListener('change', () => load());
  rerunForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const videoId = rerunInput.value.trim();
    if (!videoId) { showMessage('Enter the ID of the video whose captions should be made again.'); return; }
    const button = $('#admin-rerun-submit');
    act([button], rerunStatus,
      () => api(`/api/videos/${encodeURIComponent(videoId)}/captions/rerun`, { method: 'POST' }),
      (answer) => {
        button.disabled = false;
        rerunInput.value = '';
        return `Captions of video ${answer?.videoId || videoId} are being made again (${answer?.captions || 'pending'}).`;
      });
  });
}
