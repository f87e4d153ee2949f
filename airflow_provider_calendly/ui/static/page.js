// The Calendly page: reads api/status (relative to the page, wherever Airflow serves it) and draws it.
// Every value reaches the page as text (textContent, attribute values): nothing from the data is parsed as HTML.
'use strict';

(() => {
  const REFRESH_MS = 60_000;
  const TALLIES = ['inserted', 'changed', 'unchanged', 'deleted'];
  const COLORS = {
    calls: '#006bff', reconcile: '#2fb37a', feed: '#11a3b5',
    inserted: '#2fb37a', changed: '#006bff', unchanged: '#b8c4d0', deleted: '#d94f45',
    refused: '#d94f45', duplicate: '#f0a020',
  };
  const PATH_COLORS = ['#6a4cd6', '#006bff', '#11a3b5', '#2fb37a', '#f0a020', '#c2410c'];
  const charts = {};

  // --- DOM, always as text -------------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      node.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function num(value) {
    return value === null || value === undefined ? '–' : Number(value).toLocaleString('en-US');
  }

  function seconds(value) {
    if (value === null || value === undefined) return '–';
    const s = Math.round(value);
    if (s < 90) return `${s} s`;
    if (s < 5400) return `${Math.round(s / 60)} min`;
    return `${(s / 3600).toFixed(1)} h`;
  }

  function when(iso) {
    if (!iso) return '–';
    const d = new Date(iso);
    return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  }

  function ago(iso, now) {
    if (!iso) return 'never';
    return `${seconds((now - new Date(iso)) / 1000)} ago`;
  }

  // Links into the Airflow UI: the page is at <airflow>/calendly-ui/, the UI's routes at <airflow>/.
  function runLink(ids) {
    return `../dags/${encodeURIComponent(ids.dag_id)}/runs/${encodeURIComponent(ids.run_id)}`;
  }

  function logLink(ids) {
    const mapped = ids.map_index >= 0 ? `/mapped/${encodeURIComponent(ids.map_index)}` : '';
    const task = `${runLink(ids)}/tasks/${encodeURIComponent(ids.task_id)}${mapped}`;
    return ids.try_number ? `${task}?try_number=${encodeURIComponent(ids.try_number)}` : task;
  }

  function link(href, text) {
    return el('a', { href, target: '_top' }, text);
  }

  function fact(label, value, field, cls) {
    return el('li', { 'data-field': field },
      el('span', { class: 'label' }, label), el('span', { class: `value ${cls || ''}`.trim() }, value));
  }

  function stateBadge(state) {
    const cls = state === 'success' ? 'ok' : state === 'failed' || state === 'upstream_failed' ? 'bad' : 'warn';
    return el('span', { class: cls, 'data-field': 'state' }, state || 'unknown');
  }

  // --- syncs ---------------------------------------------------------------------------------------------

  function syncCard(sync, now) {
    const name = sync.map_index >= 0 ? `${sync.task_id} [${sync.map_index}]` : sync.task_id;
    const wh = sync.warehouse;
    const target = wh
      ? `${wh.conn_id} · ${wh.dialect} · ${wh.schema ? `${wh.schema}.` : ''}${wh.table_prefix}*`
      : 'warehouse not reported yet';
    const card = el('article', { class: 'card', 'data-sync': `${sync.dag_id}.${sync.task_id}.${sync.map_index}` },
      el('div', { class: 'card-head' },
        el('h3', { 'data-field': 'dag' }, sync.dag_display_name),
        el('span', { 'data-field': 'task' }, name),
        el('span', { class: 'ids', 'data-field': 'warehouse' }, target)),
      el('div', { class: 'ids' }, `DAG id: ${sync.dag_id}`));
    if (sync.running) card.append(runningBox(sync.running));
    const last = sync.last_success;
    if (!last) {
      card.append(el('p', { class: 'muted' }, 'No successful pass in the last 30 days.'));
    } else {
      card.append(...lastPass(last, now), tablesTable(last.tables));
    }
    card.append(passesTable(sync.passes));
    return card;
  }

  function runningBox(pass) {
    const p = pass.progress;
    const box = el('div', { class: 'progress', 'data-field': 'running' },
      el('strong', {}, 'Running'), ' since ', when(pass.started_at), ' · ', link(logLink(pass), 'log'));
    if (!p) {
      box.append(el('div', { class: 'muted' }, 'No progress reported yet (a running sync reports every 30 s).'));
      return box;
    }
    const done = p.window_done === null ? null : Math.round(p.window_done * 100);
    const rate = p.rate_limit || {};
    box.append(el('div', { 'data-field': 'progress' },
      `Reading ${p.phase} · `,
      el('span', { 'data-field': 'progress-pages' }, num(p.pages)), p.pages === 1 ? ' page' : ' pages',
      ' of scheduled events · ',
      el('span', { 'data-field': 'progress-rows' }, num(p.rows)), ' rows written · ',
      el('span', { 'data-field': 'progress-calls' }, num(p.api_calls)), ' API calls · ',
      `${seconds(rate.waited_seconds)} waited for the rate limit (${num(rate.responses_429)} × 429)`,
      done === null ? '' : ` · window ${done}% done`,
      p.eta_seconds === null ? '' : ` · about ${seconds(p.eta_seconds)} left`,
      ` · reported ${seconds(p.elapsed_seconds)} into the pass`));
    if (done !== null) {
      const fill = el('span', {});
      fill.style.width = `${done}%`;
      box.append(el('div', { class: 'bar' }, fill));
    }
    return box;
  }

  function lastPass(pass, now) {
    const saved = pass.calls_saved || {};
    const rate = pass.rate_limit || {};
    const facts = el('ul', { class: 'facts', 'data-field': 'last-pass' },
      fact('Last success', `${ago(pass.ended_at, now)} (${pass.effective_mode || pass.mode || '?'})`, 'last-success'),
      fact('API calls', num(pass.api_calls), 'api-calls'),
      fact('Saved by reconcile', num(saved.reconcile), 'saved-reconcile'),
      fact('Saved by webhook feed', num(saved.webhook_feed), 'saved-feed'),
      fact('Rate-limit wait', seconds(rate.waited_seconds), 'rate-limit-wait'),
      fact('429 answers', num(rate.responses_429), 'responses-429', rate.responses_429 ? 'warn' : ''),
      fact('Duration', seconds(pass.duration_seconds), 'duration'));
    const notes = [];
    if (pass.feed) {
      notes.push(pass.feed.covered
        ? el('li', { class: 'ok', 'data-field': 'feed' }, `Webhook feed gap-free (${num(pass.feed.deliveries)} deliveries applied)`)
        : el('li', { class: 'warn', 'data-field': 'feed' }, `Webhook feed gap: ${pass.feed.gap_reason || 'unknown'}`));
    }
    for (const skip of pass.skipped) {
      notes.push(el('li', { class: 'warn', 'data-field': 'skipped', 'data-resource': skip.resource },
        `Skipped ${skip.resource}: ${skip.reason}`));
    }
    return notes.length ? [facts, el('ul', { class: 'notes' }, notes)] : [facts];
  }

  function tablesTable(tables) {
    const head = el('tr', {}, el('th', {}, 'Table'),
      ...TALLIES.map((t) => el('th', { class: 'n' }, t)), el('th', { class: 'n' }, 'API calls'),
      el('th', { class: 'n' }, 'Seconds'));
    const rows = tables.map((t) => el('tr', { 'data-table': t.key, title: t.description || '' },
      el('td', {}, t.table || t.key),
      ...TALLIES.map((name) => el('td', { class: 'n', 'data-count': name }, num(t[name]))),
      el('td', { class: 'n', 'data-count': 'api_calls' }, num(t.api_calls)),
      el('td', { class: 'n' }, t.seconds === null ? '–' : t.seconds.toFixed(1))));
    return el('table', { class: 'tables' }, el('thead', {}, head), el('tbody', {}, rows));
  }

  function passesTable(passes) {
    const rows = passes.map((p) => el('tr', { 'data-run': p.run_id },
      el('td', {}, when(p.started_at)),
      el('td', {}, p.effective_mode || p.mode || '–'),
      el('td', { class: 'n' }, seconds(p.duration_seconds)),
      el('td', {}, stateBadge(p.state)),
      el('td', { class: 'n' }, num(p.api_calls)),
      el('td', {}, link(runLink(p), 'run'), ' · ', link(logLink(p), 'log'))));
    return el('details', { open: true },
      el('summary', {}, `Last ${passes.length} passes`),
      el('table', {},
        el('thead', {}, el('tr', {}, el('th', {}, 'Started'), el('th', {}, 'Mode'), el('th', { class: 'n' }, 'Duration'),
          el('th', {}, 'State'), el('th', { class: 'n' }, 'API calls'), el('th', {}, 'Links'))),
        el('tbody', {}, rows)));
  }

  // --- webhooks ------------------------------------------------------------------------------------------

  function webhookSection(section, now) {
    if (!section || !section.inbox_conn_id) return [el('p', { class: 'muted' }, 'No webhook inbox.')];
    const parts = [el('p', { class: 'muted' }, `Inbox connection ${section.inbox_conn_id}; receiver `,
      section.receiver_enabled ? 'mounted on this API server.' : 'disabled ([calendly_webhooks] enabled = False).')];
    if (section.error) parts.push(el('p', { class: 'error' }, section.error));
    const subs = section.subscriptions.map((s) => {
      const sub = s.subscription || {};
      const v = s.verdict;
      const verdict = !v ? el('span', { class: 'muted' }, 'no health check')
        : [el('span', { class: v.healthy ? 'ok' : 'bad' }, v.healthy ? 'healthy' : 'unhealthy'),
          v.reason ? ` — ${v.reason}` : '', ' · ', link(logLink(v), 'log')];
      return el('tr', { 'data-path': s.path },
        el('td', {}, el('div', {}, s.path), sub.callback_url ? el('div', { class: 'ids' }, sub.callback_url) : null),
        el('td', { 'data-field': 'state' }, sub.state || 'unknown'),
        el('td', { class: 'ids' }, (sub.events || []).join(', ')),
        el('td', { 'data-field': 'last-delivery' }, s.last_delivery_at ? `${when(s.last_delivery_at)} (${ago(s.last_delivery_at, now)})` : 'none'),
        el('td', { class: 'n', 'data-count': 'stored' }, num(s.stored)),
        el('td', { class: 'n', 'data-count': 'duplicates' }, num(s.duplicates)),
        el('td', { class: 'n', 'data-count': 'signature_failures' }, num(s.signature_failures)),
        el('td', { 'data-field': 'verdict' }, verdict));
    });
    parts.push(subs.length
      ? el('table', { class: 'subscriptions' },
        el('thead', {}, el('tr', {}, el('th', {}, 'Callback path'), el('th', {}, 'State'), el('th', {}, 'Events'),
          el('th', {}, 'Last delivery'), el('th', { class: 'n' }, 'Stored (30 d)'), el('th', { class: 'n' }, 'Duplicates'),
          el('th', { class: 'n' }, 'Signature failures'), el('th', {}, 'Health check'))),
        el('tbody', {}, subs))
      : el('p', { class: 'empty' }, 'No deliveries and no subscription seen in the last 30 days.'));
    const consumers = section.consumers.map((c) => el('tr', { 'data-consumer': c.name },
      el('td', {}, c.name), el('td', {}, c.kind === 'sync' ? 'sync (change capture)' : 'trigger / sensor'),
      el('td', { class: 'n' }, num(c.position)), el('td', { class: 'n', 'data-count': 'backlog' }, num(c.backlog)),
      el('td', {}, when(c.updated_at))));
    parts.push(el('h3', {}, 'Inbox consumers'), consumers.length
      ? el('table', { class: 'consumers' },
        el('thead', {}, el('tr', {}, el('th', {}, 'Consumer'), el('th', {}, 'Kind'), el('th', { class: 'n' }, 'Position'),
          el('th', { class: 'n' }, 'Backlog'), el('th', {}, 'Last moved'))),
        el('tbody', {}, consumers))
      : el('p', { class: 'empty' }, 'No consumer reads the inbox yet.'));
    return parts;
  }

  // --- charts --------------------------------------------------------------------------------------------

  function draw(id, config) {
    if (typeof Chart === 'undefined') return;
    if (charts[id]) charts[id].destroy();
    const muted = getComputedStyle(document.documentElement).getPropertyValue('--muted').trim();
    Chart.defaults.color = muted || '#616e7c';
    charts[id] = new Chart(document.getElementById(id), {
      ...config,
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: 'index', intersect: false },
        scales: { x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true } }, y: { stacked: true, beginAtZero: true } },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
        ...(config.options || {}),
      },
    });
  }

  function drawCharts(data) {
    const c = data.charts;
    const shortDay = (d) => d.slice(5);
    const syncs = new Set(c.calls_per_pass.map((p) => `${p.dag_id}.${p.task_id}`));
    draw('chart-calls', {
      type: 'bar',
      data: {
        labels: c.calls_per_pass.map((p) => when(p.started_at).slice(5, 16) + (syncs.size > 1 ? ` ${p.task_id}` : '')),
        datasets: [
          { label: 'API calls used', data: c.calls_per_pass.map((p) => p.api_calls), backgroundColor: COLORS.calls },
          { label: 'saved by reconcile', data: c.calls_per_pass.map((p) => p.saved_by_reconcile), backgroundColor: COLORS.reconcile },
          { label: 'saved by webhook feed', data: c.calls_per_pass.map((p) => p.saved_by_webhook_feed), backgroundColor: COLORS.feed },
        ],
      },
    });
    draw('chart-rows', {
      type: 'bar',
      data: {
        labels: c.days.map(shortDay),
        datasets: TALLIES.map((name) => ({ label: name, data: c.rows_per_day[name], backgroundColor: COLORS[name] })),
      },
    });
    const d = c.deliveries_per_day || {};
    const stored = Object.entries(d.stored || {});
    draw('chart-deliveries', {
      type: 'bar',
      data: {
        labels: c.days.map(shortDay),
        datasets: [
          ...stored.map(([path, counts], i) => ({
            label: `stored: ${path}`, data: counts, backgroundColor: PATH_COLORS[i % PATH_COLORS.length], stack: 'stored',
          })),
          { label: 'duplicates', data: d.duplicate || [], backgroundColor: COLORS.duplicate, stack: 'refused' },
          { label: 'bad signatures', data: d.rejected_signature || [], backgroundColor: COLORS.refused, stack: 'refused' },
        ],
      },
    });
  }

  // --- loading -------------------------------------------------------------------------------------------

  async function load() {
    const error = document.getElementById('error');
    try {
      const response = await fetch('api/status', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      if (!response.ok) throw new Error(`the status answered ${response.status}`);
      const data = await response.json();
      const now = new Date(data.generated_at);
      document.getElementById('generated').textContent =
        `As of ${when(data.generated_at)} · refreshes every minute`;
      const list = document.getElementById('sync-list');
      list.replaceChildren(...(data.syncs.length
        ? data.syncs.map((s) => syncCard(s, now))
        : [el('p', { class: 'empty' }, 'No CalendlyToSqlOperator task ran in the last 30 days (in the DAGs you may read).')]));
      document.getElementById('webhook-body').replaceChildren(...webhookSection(data.webhooks, now));
      drawCharts(data);
      error.hidden = true;
      document.body.dataset.loaded = data.generated_at;
    } catch (exc) {
      error.textContent = `Could not load the status: ${exc.message}`;
      error.hidden = false;
    }
  }

  document.getElementById('refresh').addEventListener('click', load);
  setInterval(load, REFRESH_MS);
  load();
})();
