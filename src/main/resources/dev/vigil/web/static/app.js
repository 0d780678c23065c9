'use strict';
// Vigil's dashboard: plain DOM and canvas, no framework, nothing loaded from elsewhere. The server sends events
// (/api/events); frames, maps and snapshots are fetched as images from the same origin.

const state = { cameras: new Map(), alerts: new Map(), overlay: true, view: 'grid', camera: null, session: null };
const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

async function getJson(url) {
  const r = await fetch(url, { credentials: 'same-origin' });
  if (!r.ok) throw new Error(url + ': ' + r.status);
  return r.json();
}

// who this page is (viewer or operator) and the anti-CSRF token every change must carry (WebServer.SESSION_PATH)
async function loadSession() {
  state.session = await getJson('/api/session');
}

const mayChange = () => state.session && state.session.role === 'operator';

// a change: POST with the anti-CSRF token; once more with a fresh one if the server restarted since the page loaded
async function post(url) {
  const send = () => fetch(url, { method: 'POST', credentials: 'same-origin',
    headers: { [state.session.csrf_header]: state.session.csrf } });
  let r = await send();
  if (r.status === 403) {
    await loadSession();
    if (mayChange()) r = await send();
  }
  return r;
}

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('cannot load ' + url));
    img.src = url;
  });
}

// jet, as the snapshots and the figures: blue (0) to red (1)
function jet(v) {
  const c = (p) => Math.round(255 * Math.max(0, Math.min(1, 1.5 - Math.abs(4 * v - p))));
  return [c(3), c(2), c(1)];
}

// The frame, and over it the anomaly map: grey level g stands for g / 255 * scale; twice the threshold is red and
// most opaque, so normal parts of the picture stay readable under a faint blue.
async function drawFrame(canvas, cam) {
  if (cam.seq === undefined) return;
  const [frame, map] = await Promise.all([
    loadImage(`/api/cameras/${enc(cam.camera)}/frame?seq=${cam.seq}&t=${Date.now()}`),
    state.overlay ? loadImage(`/api/cameras/${enc(cam.camera)}/map?t=${Date.now()}`).catch(() => null) : null]);
  canvas.width = frame.naturalWidth;
  canvas.height = frame.naturalHeight;
  const g = canvas.getContext('2d');
  g.drawImage(frame, 0, 0);
  if (!map || !cam.map) { canvas.dataset.overlay = 'off'; return; }
  const off = document.createElement('canvas');
  off.width = map.naturalWidth;
  off.height = map.naturalHeight;
  const og = off.getContext('2d');
  og.drawImage(map, 0, 0);
  const px = og.getImageData(0, 0, off.width, off.height);
  const top = cam.threshold ? 2 * cam.threshold : cam.map.scale || 1;
  for (let i = 0; i < px.data.length; i += 4) {
    const v = Math.min(1, (px.data[i] / 255) * cam.map.scale / top);
    const [r, gg, b] = jet(v);
    px.data[i] = r; px.data[i + 1] = gg; px.data[i + 2] = b; px.data[i + 3] = Math.round(255 * 0.6 * v);
  }
  og.putImageData(px, 0, 0);
  g.imageSmoothingEnabled = true;
  g.drawImage(off, 0, 0, canvas.width, canvas.height);
  canvas.dataset.overlay = 'drawn';
}

// a score line with the threshold dashed across it
function chart(svg, points, threshold) {
  svg.replaceChildren();
  if (!points.length) return;
  const w = 600, h = svg.classList.contains('spark') ? 44 : 160;
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  const top = Math.max(threshold ? threshold * 1.6 : 0, ...points.map((p) => p.score)) || 1;
  const x = (i) => (points.length === 1 ? w : (i / (points.length - 1)) * w);
  const y = (v) => h - 2 - (v / top) * (h - 4);
  const ns = 'http://www.w3.org/2000/svg';
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('class', 'line');
  line.setAttribute('points', points.map((p, i) => `${x(i).toFixed(1)},${y(p.score).toFixed(1)}`).join(' '));
  svg.append(line);
  if (threshold) {
    const t = document.createElementNS(ns, 'line');
    t.setAttribute('class', 'threshold');
    t.setAttribute('x1', 0); t.setAttribute('x2', w);
    t.setAttribute('y1', y(threshold)); t.setAttribute('y2', y(threshold));
    svg.append(t);
  }
}

function stateBadge(cam) {
  const b = el('span', { class: 'badge ' + cam.state }, cam.state);
  if (cam.state === 'learning' && cam.model && cam.model.state === 'fitting') {
    b.textContent = `fitting model (${cam.model.frames} frames)`;
  } else if (cam.state === 'learning' && cam.model && cam.model.target) {
    b.textContent = `learning ${cam.model.frames}/${cam.model.target}`;
  }
  return b;
}

function metaText(cam) {
  const parts = [];
  if (cam.score !== undefined) parts.push(`score ${cam.score.toFixed(1)}`);
  if (cam.threshold) parts.push(`threshold ${cam.threshold.toFixed(1)}`);
  const version = cam.model_version ?? (cam.model && cam.model.model_version);
  if (version !== undefined && version !== null) parts.push(`model v${version}`);
  if (cam.ingest && cam.ingest.source) parts.push(cam.ingest.source);
  const r = cam.refinement;
  if (r && r.state === 'queued') parts.push('refining the model');
  else if (r && r.state === 'published') parts.push(`refined as v${r.version}`);
  else if (r) parts.push(`refinement ${r.state}: ${r.reason}`);
  return parts.join(' · ');
}

function tile(cam) {
  let t = document.querySelector(`.tile[data-camera="${CSS.escape(cam.camera)}"]`);
  if (!t) {
    t = el('div', { class: 'tile', 'data-camera': cam.camera },
      el('a', { href: '#/camera/' + enc(cam.camera) }, el('canvas', { class: 'frame' })),
      el('div', { class: 'body' },
        el('div', { class: 'row' }, el('span', { class: 'name' }, cam.camera), el('span', { class: 'state' })),
        el('div', { class: 'meta' }), el('div', { class: 'progress', hidden: '' }, el('div')),
        document.createElementNS('http://www.w3.org/2000/svg', 'svg')));
    t.querySelector('svg').setAttribute('class', 'spark');
    $('grid').append(t);
    $('no-cameras').hidden = true;
    const opt = el('option', { value: cam.camera }, cam.camera);
    $('alert-filter').append(opt);
  }
  t.classList.toggle('alarm', !!cam.anomalous);
  t.querySelector('.state').replaceChildren(stateBadge(cam));
  const meta = t.querySelector('.meta');
  meta.replaceChildren(el('span', { class: 'score' + (cam.anomalous ? ' alarm' : '') }, metaText(cam)));
  const progress = t.querySelector('.progress');
  const learning = cam.state === 'learning' && cam.model && cam.model.target;
  progress.hidden = !learning;
  if (learning) progress.firstChild.style.width = `${Math.min(100, 100 * cam.model.frames / cam.model.target)}%`;
  chart(t.querySelector('svg'), cam.scores || [], cam.threshold);
  return t;
}

// redraws a camera's picture at most twice a second, however fast its scores come
const pending = new Map();
function refresh(camera) {
  if (pending.has(camera)) return;
  pending.set(camera, setTimeout(async () => {
    pending.delete(camera);
    const cam = state.cameras.get(camera);
    if (!cam) return;
    tile(cam);
    try {
      await drawFrame(document.querySelector(`.tile[data-camera="${CSS.escape(camera)}"] canvas`), cam);
      if (state.view === 'camera' && state.camera === camera) await drawFrame($('camera-canvas'), cam);
    } catch (e) { /* the frame left the window: the next score brings another */ }
  }, 500));
}

function alertItem(view) {
  const a = view.alert;
  const item = el('div', { class: 'alert' + (a.type === 'end' ? ' ended' : '')
      + (view.acknowledged ? ' acknowledged' : ''), 'data-id': a.id, 'data-camera': a.camera },
    view.snapshot_url ? el('img', { src: view.snapshot_url + '?v=' + a.peak_seq, alt: 'snapshot of ' + a.id,
      loading: 'lazy' }) : el('div'),
    el('div', {},
      el('div', { class: 'row' }, el('strong', {}, a.camera), el('span', { class: 'badge' }, a.type)),
      el('div', { class: 'meta' }, `${new Date(a.start_time).toLocaleTimeString()} · peak ${a.peak_score.toFixed(1)}`
        + ` (threshold ${a.threshold.toFixed(1)}) · ${a.frames} frames · ${a.boxes.length} regions`),
      el('div', { class: 'row' },
        view.acknowledged ? el('span', { class: 'hint' }, 'acknowledged')
          : mayChange() ? el('button', { onclick: () => acknowledge(a.id) }, 'acknowledge') : el('span'),
        view.confirmed_normal ? el('span', { class: 'hint' }, 'confirmed normal')
          : mayChange() && a.label !== 'scene-change'
            ? el('button', { onclick: () => confirmNormal(a.id),
              title: 'a false alarm: the camera\'s model learns these frames as normal' }, 'normal')
            : el('span'))));
  return item;
}

function renderAlerts() {
  const filter = $('alert-filter').value;
  const list = [...state.alerts.values()].sort((x, y) => y.alert.start_time - x.alert.start_time);
  $('alerts').replaceChildren(...list.filter((v) => !filter || v.alert.camera === filter).slice(0, 100)
    .map(alertItem));
  if (state.view === 'camera') {
    $('camera-alerts').replaceChildren(...list.filter((v) => v.alert.camera === state.camera).map(alertItem));
  }
}

async function acknowledge(id) {
  const r = await post(`/api/alerts/${enc(id)}/ack`);
  if (r.ok) { const v = state.alerts.get(id); if (v) { v.acknowledged = true; renderAlerts(); } }
}

// the frames of a false alarm go to the scorer, which refines the camera's model from them (POST .../normal)
async function confirmNormal(id) {
  const r = await post(`/api/alerts/${enc(id)}/normal`);
  if (r.ok) { const v = state.alerts.get(id); if (v) { v.confirmed_normal = true; renderAlerts(); } }
}

async function showCamera(camera) {
  state.view = 'camera';
  state.camera = camera;
  $('grid-view').hidden = true;
  $('camera-view').hidden = false;
  $('camera-title').textContent = camera;
  const cam = await getJson(`/api/cameras/${enc(camera)}`);
  $('camera-meta').replaceChildren(stateBadge(cam), ' ', metaText(cam));
  state.chart = cam.scores || [];
  chart($('camera-chart'), state.chart, cam.threshold);
  $('camera-normal').src = `/api/cameras/${enc(camera)}/normal?t=${Date.now()}`;
  drawFrame($('camera-canvas'), cam).catch(() => {});
  renderAlerts();
  const models = await getJson(`/api/cameras/${enc(camera)}/models`).catch(() => []);
  $('camera-models').replaceChildren(...models.map((m) => el('tr', {},
    el('td', {}, 'v' + m.version), el('td', {}, (m.bytes / 1e6).toFixed(1) + ' MB'),
    el('td', {}, m.active ? el('span', { class: 'badge scoring' }, 'active')
      : m.state === 'refused' ? el('span', { class: 'badge offline', title: m.refused_reason }, 'refused')
      : m.state === 'pending' ? el('span', { class: 'badge waiting' }, 'pending')
      : m.complete && mayChange() ? el('button', { onclick: () => activate(camera, m.version) }, 'activate')
      : m.complete ? 'stored' : 'incomplete'),
    el('td', {}, m.refused_reason || ''))));
}

async function activate(camera, version) {
  if (!confirm(`Score camera ${camera} with model version ${version}?`)) return;
  const r = await post(`/api/cameras/${enc(camera)}/models/${version}/activate`);
  if (!r.ok) alert(await r.text());
  setTimeout(() => showCamera(camera), 1000);
}

function route() {
  const m = location.hash.match(/^#\/camera\/(.+)$/);
  if (m) { showCamera(decodeURIComponent(m[1])); return; }
  state.view = 'grid';
  state.camera = null;
  $('grid-view').hidden = false;
  $('camera-view').hidden = true;
}

function connect() {
  const events = new EventSource('/api/events');
  events.onopen = () => { $('connection').textContent = 'live'; $('connection').className = 'badge live'; };
  events.onerror = () => { $('connection').textContent = 'reconnecting'; $('connection').className = 'badge offline'; };
  events.addEventListener('score', (e) => {
    const { camera, point, scale } = JSON.parse(e.data);
    const cam = state.cameras.get(camera) || { camera, scores: [], state: 'scoring' };
    cam.scores = (cam.scores || []).concat([point]).slice(-60);
    Object.assign(cam, { seq: point.seq, score: point.score, threshold: point.threshold,
      anomalous: point.anomalous, model_version: point.modelVersion, state: 'scoring' });
    cam.map = { scale };
    state.cameras.set(camera, cam);
    refresh(camera);
    if (state.view === 'camera' && state.camera === camera) {
      state.chart = (state.chart || []).concat([point]).slice(-300);
      chart($('camera-chart'), state.chart, point.threshold);
    }
  });
  events.addEventListener('alert', (e) => {
    const view = JSON.parse(e.data);
    state.alerts.set(view.alert.id, view);
    renderAlerts();
  });
  events.addEventListener('snapshot', () => renderAlerts());
  events.addEventListener('status', (e) => loadCamera(JSON.parse(e.data).camera));
}

async function loadCamera(camera) {
  const cam = await getJson(`/api/cameras/${enc(camera)}`).catch(() => null);
  if (cam) { state.cameras.set(camera, cam); refresh(camera); }
}

// the map's scale changes with every frame: the summary carries it, so keep the summaries fresh
async function poll() {
  try {
    for (const cam of await getJson('/api/cameras')) {
      const known = state.cameras.get(cam.camera);
      state.cameras.set(cam.camera, Object.assign(known || {}, cam));
      refresh(cam.camera);
    }
  } catch (e) { /* the next poll tries again */ }
}

async function start() {
  $('overlay-toggle').addEventListener('change', (e) => {
    state.overlay = e.target.checked;
    state.cameras.forEach((_, c) => refresh(c));
  });
  $('alert-filter').addEventListener('change', renderAlerts);
  window.addEventListener('hashchange', route);
  await loadSession();
  for (const view of await getJson('/api/alerts?limit=100')) state.alerts.set(view.alert.id, view);
  renderAlerts();
  await poll();
  setInterval(poll, 2000);
  connect();
  route();
}

start();
