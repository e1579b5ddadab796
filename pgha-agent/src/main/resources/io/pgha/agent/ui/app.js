// pgha dashboard: plain JavaScript, no build step, no library. It polls the agent that served it
// (GET /cluster and /status every 2 s; /routers, /history and /backups less often) and calls that
// agent's REST API for actions, with the credentials the browser already holds for this origin.
// Everything shown is put in the page as text (textContent), never as HTML.
'use strict';

(function () {
  const POLL_MS = 2000;
  const WINDOW_MS = 5 * 60 * 1000; // what the small lag charts show
  const LEADER_SAMPLES_MS = 15 * 60 * 1000; // how far back lag in seconds can be estimated
  const SVG = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);

  const view = {
    cluster: null,
    me: null,
    samples: new Map(), // member name -> [{t, bytes, secs}] as seen by this page
    leaderSamples: [], // [{t, pos}]: the primary's published WAL position and when it published it
    history: { timeline: null, at: 0 },
    routersAt: 0,
    backups: { at: 0, again: 30000 },
    timer: null,
    polling: false,
    pollAgain: false,
  };

  // ------------------------------------------------------------------ small helpers

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k === 'onclick') e.addEventListener('click', v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function bytes(n) {
    if (n === undefined || n === null) return '';
    const units = ['B', 'kB', 'MB', 'GB', 'TB'];
    let i = 0;
    let v = n;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return (i === 0 ? String(v) : v.toFixed(v < 10 ? 1 : 0)) + ' ' + units[i];
  }

  function seconds(s) {
    if (s === undefined || s === null) return '?';
    if (s < 60) return (s < 10 ? s.toFixed(1) : Math.round(s)) + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + Math.round(s % 60) + ' s';
    return (s / 3600).toFixed(1) + ' h';
  }

  function ago(ms) {
    if (!ms) return 'never';
    const s = Math.max(0, (Date.now() - ms) / 1000);
    return s < 2 ? 'just now' : seconds(s) + ' ago';
  }

  function time(ms) {
    return new Date(ms).toLocaleString();
  }

  /** A text LSN ("16/B374D848") as a number of bytes (exact below 2^53, i.e. 8 PB of WAL). */
  function lsn(text) {
    if (!text || text.indexOf('/') < 0) return null;
    const [hi, lo] = text.split('/');
    return parseInt(hi, 16) * 4294967296 + parseInt(lo, 16);
  }

  /** An http(s) URL from the DCS as a link target, or null (never a javascript: or data: URL). */
  function safeUrl(u) {
    try {
      const url = new URL(u);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.href.replace(/\/$/, '') : null;
    } catch (e) {
      return null;
    }
  }

  function kv(label, value, title) {
    return el('div', { class: 'kv', title: title }, label + ' ', el('b', { text: String(value) }));
  }

  function badge(text, kind, title) {
    return el('span', { class: 'badge ' + kind, title: title, text: text });
  }

  // ------------------------------------------------------------------ talking to the agent

  async function getJson(path) {
    const r = await fetch(location.origin + path, { cache: 'no-store', headers: { Accept: 'application/json' } });
    if (!r.ok) {
      let why = r.statusText;
      try {
        why = (await r.json()).error || why;
      } catch (e) {
        // not JSON
      }
      throw new Error(path + ': ' + r.status + ' ' + why);
    }
    return r.json();
  }

  /** A state-changing call; resolves to the agent's message, rejects with its refusal. */
  async function act(method, path, body) {
    const r = await fetch(location.origin + path, {
      method: method,
      cache: 'no-store',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-Requested-By': 'pgha', Accept: 'application/json' },
      body: JSON.stringify(body || {}),
    });
    let doc = null;
    try {
      doc = await r.json();
    } catch (e) {
      // not JSON
    }
    const text = (doc && (doc.message || doc.error)) || r.statusText || 'no answer';
    if (!r.ok) throw new Error(method + ' ' + path + ' refused (' + r.status + '): ' + text);
    return text;
  }

  function say(text, ok) {
    const m = $('message');
    m.className = 'message ' + (ok ? 'ok' : 'error');
    $('message-text').textContent = text;
    $('message-text').setAttribute('role', ok ? 'status' : 'alert');
    m.hidden = false;
  }

  async function run(method, path, body) {
    say(method + ' ' + path + '…', true);
    try {
      say(await act(method, path, body), true);
    } catch (e) {
      say(e.message, false);
    }
    pollNow();
  }

  // ------------------------------------------------------------------ confirmation

  /** Shows the dialog; resolves to {ok, candidate}. */
  function confirmAction(text, candidates) {
    const d = $('confirm');
    $('confirm-text').textContent = text;
    const select = $('switchover-candidate');
    $('confirm-candidate').hidden = !candidates;
    if (candidates) {
      select.replaceChildren(
        el('option', { value: '', text: 'any: the most advanced healthy standby' }),
        candidates.map((m) => el('option', { value: m.name, text: m.name })),
      );
    }
    d.showModal();
    return new Promise((resolve) => {
      const done = (ok) => {
        $('confirm-ok').onclick = null;
        $('confirm-cancel').onclick = null;
        d.oncancel = null;
        const candidate = select.value;
        d.close();
        resolve({ ok: ok, candidate: candidate });
      };
      $('confirm-ok').onclick = () => done(true);
      $('confirm-cancel').onclick = () => done(false);
      d.oncancel = (e) => {
        e.preventDefault();
        done(false);
      };
    });
  }

  async function switchover() {
    const c = view.cluster;
    if (!c) return;
    const candidates = c.members.filter(
      (m) => m.name !== c.leader && m.role === 'standby' && m.state === 'running' && m.streaming && !m.tags.nofailover,
    );
    const a = await confirmAction(
      'Switch over from ' + (c.leader || '(no primary)') + ' to a standby? The primary shuts down cleanly, the'
        + ' new one promotes once it has every commit, and writes pause for a moment.',
      candidates,
    );
    if (!a.ok) return;
    const body = {};
    if (c.leader) body.leader = c.leader;
    if (a.candidate) body.candidate = a.candidate;
    await run('POST', '/switchover', body);
  }

  async function pause(on) {
    const a = await confirmAction(
      on
        ? 'Pause the cluster? The agents take no automatic action (no failover) until it is resumed.'
        : 'Resume the cluster? The agents act on their own again (failover included).',
      null,
    );
    if (a.ok) await run('POST', on ? '/pause' : '/resume');
  }

  async function restart(m) {
    const a = await confirmAction(
      'Restart PostgreSQL on ' + m.name + ' (' + m.role + ')?'
        + (m.role === 'primary' ? ' Writes stop until it is back; a switchover first avoids that.' : ''),
      null,
    );
    if (a.ok) await run('POST', '/restart', { member: m.name });
  }

  async function reinit(m) {
    const a = await confirmAction(
      'Wipe the data directory of ' + m.name + ' and clone it again from the primary? It serves nothing until'
        + ' the copy is done.',
      null,
    );
    if (a.ok) await run('POST', '/reinitialize', { member: m.name });
  }

  // ------------------------------------------------------------------ lag in seconds and the charts

  /**
   * How long the standby has been behind: from the time the primary first published a WAL position
   * beyond this standby's replay position, to the primary's latest publication. An estimate at the
   * resolution of the publications (every agent cycle while WAL moves); "at least" when that time
   * lies before the first position this page saw.
   */
  function lagSeconds(m) {
    if (m.lag === undefined || m.lag === null) return null;
    if (m.lag === 0) return { secs: 0, atLeast: false };
    const s = view.leaderSamples;
    const replay = lsn(m.replay_position);
    if (!s.length || replay === null) return null;
    const latest = s[s.length - 1];
    if (replay >= latest.pos) return { secs: 0, atLeast: false };
    const i = s.findIndex((x) => x.pos > replay);
    return { secs: Math.max(0, (latest.t - s[i].t) / 1000), atLeast: i === 0 };
  }

  function record(c) {
    const now = Date.now();
    const leader = c.members.find((m) => m.name === c.leader);
    if (leader && leader.updated_at) {
      const pos = lsn(leader.wal_position);
      const s = view.leaderSamples;
      const last = s[s.length - 1];
      if (pos !== null && last && pos < last.pos) view.leaderSamples = [{ t: leader.updated_at, pos: pos }];
      else if (pos !== null && (!last || last.pos !== pos)) s.push({ t: leader.updated_at, pos: pos });
      while (view.leaderSamples.length > 1 && now - view.leaderSamples[0].t > LEADER_SAMPLES_MS) {
        view.leaderSamples.shift();
      }
    }
    const names = new Set();
    for (const m of c.members) {
      names.add(m.name);
      const list = view.samples.get(m.name) || [];
      const l = lagSeconds(m);
      list.push({ t: now, bytes: m.lag === undefined ? null : m.lag, secs: l ? l.secs : null });
      while (list.length && now - list[0].t > WINDOW_MS) list.shift();
      view.samples.set(m.name, list);
    }
    for (const name of [...view.samples.keys()]) if (!names.has(name)) view.samples.delete(name);
  }

  function spark(points, key, kind, format) {
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('class', 'spark ' + kind);
    svg.setAttribute('viewBox', '0 0 160 28');
    svg.setAttribute('preserveAspectRatio', 'none');
    const values = points.filter((p) => p[key] !== null && p[key] !== undefined);
    const max = Math.max(1, ...values.map((p) => p[key]));
    const now = Date.now();
    // the time this page has seen, at least a minute, at most the window: a new page's line fills up
    const span = Math.min(WINDOW_MS, Math.max(60000, values.length ? now - values[0].t : 0));
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute(
      'points',
      values
        .map((p) => {
          const x = 160 - ((now - p.t) / span) * 160;
          const y = 27 - (p[key] / max) * 25;
          return x.toFixed(1) + ',' + y.toFixed(1);
        })
        .join(' '),
    );
    svg.append(line);
    const title = document.createElementNS(SVG, 'title');
    title.textContent = 'the last ' + seconds(span / 1000) + '; top of the chart: ' + format(max);
    svg.append(title);
    return svg;
  }

  // ------------------------------------------------------------------ drawing

  function renderCluster(c) {
    $('cluster-name').textContent = c.cluster;
    document.title = 'pgha ' + c.cluster + (c.leader ? ' · primary ' + c.leader : ' · no primary');
    const leader = $('leader');
    leader.textContent = c.leader || 'none';
    leader.className = c.leader ? '' : 'error-text';
    $('timeline').textContent = c.timeline;
    const sync = c.synchronous || {};
    $('sync-mode').textContent = (sync.mode || '?') + (sync.strict ? ' (strict)' : '');
    $('sync-mode').title = 'failover candidates: ' + (sync.failover_candidates || '?');
    $('paused').hidden = !c.pause;
    $('pause').disabled = !!c.pause;
    $('resume').disabled = !c.pause;
    const p = $('pending');
    const f = c.failover;
    if (f) {
      p.textContent = (f.leader ? 'switchover ' + f.leader + ' → ' : 'failover → ')
        + (f.candidate || 'the best standby')
        + (f.scheduledAt ? ' at ' + time(f.scheduledAt) : '') + ' pending';
      p.hidden = false;
    } else {
      p.hidden = true;
    }
    $('served-by').textContent = (view.me && view.me.name ? view.me.name + ' at ' : '') + location.host;
    renderTopology(c);
    renderDecisions(c);
    renderArchive(c);
  }

  function renderTopology(c) {
    const byName = new Map(c.members.map((m) => [m.name, m]));
    const children = new Map();
    const roots = [];
    for (const m of c.members) {
      const up = m.following && m.following !== m.name && byName.has(m.following) ? m.following : null;
      if (up) {
        if (!children.has(up)) children.set(up, []);
        children.get(up).push(m);
      } else {
        roots.push(m);
      }
    }
    roots.sort((a, b) => (b.name === c.leader) - (a.name === c.leader) || a.name.localeCompare(b.name));
    const seen = new Set();
    const branch = (list) =>
      el(
        'ul',
        null,
        list.map((m) => {
          seen.add(m.name);
          const kids = (children.get(m.name) || []).filter((k) => !seen.has(k.name));
          kids.forEach((k) => seen.add(k.name));
          return el('li', null, card(m, c), kids.length ? branch(kids) : null);
        }),
      );
    const tree = [branch(roots)];
    // members in a cycle of "following" (not reached from any root) are still shown
    const left = c.members.filter((m) => !seen.has(m.name));
    if (left.length) tree.push(branch(left));
    if (!c.members.length) tree.splice(0, tree.length, el('p', { class: 'empty', text: 'no member reports to the DCS' }));
    $('topology').replaceChildren(...tree);
  }

  function card(m, c) {
    const isLeader = m.name === c.leader;
    const standby = m.role === 'standby' || m.role === 'standby leader';
    const down = m.state !== 'running';
    const kind = down ? 'down' : m.role === 'primary' ? 'primary' : standby ? 'standby' : '';
    const points = view.samples.get(m.name) || [];
    const l = lagSeconds(m);
    const tags = m.tags || {};
    const tagText = [
      tags.nofailover ? 'nofailover' : null,
      tags.noloadbalance ? 'noloadbalance' : null,
      tags.nosync ? 'nosync' : null,
      tags.priority ? 'priority ' + tags.priority : null,
      tags.sync_priority ? 'sync_priority ' + tags.sync_priority : null,
    ].filter(Boolean);
    const watchdog = (m.watchdog || 'off').split(' ')[0].replace(/:$/, '');
    const api = safeUrl(m.api_url);
    const ownPage = api && new URL(api).host === location.host;
    return el(
      'div',
      { class: 'card ' + kind, 'data-member': m.name, 'data-role': m.role },
      el(
        'div',
        null,
        el(
          'div',
          { class: 'head' },
          el('h3', { text: m.name }),
          el('span', { class: 'role', text: m.role }),
          m.synchronous ? badge(m.synchronous, 'ok', 'in the synchronous record') : null,
          m.pending_restart ? badge('pending restart', 'warn', 'settings that take effect only after a restart') : null,
          down ? badge(m.state, 'bad') : null,
        ),
        kv('state', m.state + (m.timeline ? ' · timeline ' + m.timeline : '')),
        kv('address', m.host + ':' + m.port),
        m.following ? kv('streams from', m.following + (m.streaming ? '' : ' (not streaming)')) : null,
        kv('sync', m.synchronous || (standby ? 'asynchronous' : '—')),
        kv('tags', tagText.length ? tagText.join(', ') : 'none'),
        kv('watchdog', watchdog, m.watchdog || 'off'),
      ),
      m.lag === undefined
        ? el('div', { class: 'charts' }, kv('WAL position', m.wal_position))
        : el(
            'div',
            { class: 'charts' },
            el('span', { class: 'lag-bytes', text: 'lag ' + bytes(m.lag) }),
            spark(points, 'bytes', 'bytes', bytes),
            el('span', { class: 'lag-secs', text: 'lag ' + (l ? (l.atLeast && l.secs > 0 ? '≥ ' : '') + seconds(l.secs) : '?') }),
            spark(points, 'secs', 'secs', seconds),
          ),
      el(
        'div',
        { class: 'decision' },
        el('div', { class: 'kv', text: 'last decision' }),
        el('div', { class: 'last-decision', text: m.last_decision || '—' }),
        el('div', { class: 'kv', text: 'published ' + ago(m.updated_at) }),
      ),
      el(
        'div',
        { class: 'card-actions' },
        el('button', { type: 'button', class: 'restart', onclick: () => restart(m) }, 'Restart'),
        standby && !isLeader
          ? el('button', { type: 'button', class: 'reinit', onclick: () => reinit(m) }, 'Reinit')
          : null,
        api && !ownPage
          ? el('a', { href: api + '/ui/', target: '_blank', rel: 'noopener noreferrer' }, 'its own dashboard ↗')
          : null,
      ),
    );
  }

  function renderDecisions(c) {
    const body = $('decisions').tBodies[0];
    body.replaceChildren(
      ...c.members.map((m) =>
        el(
          'tr',
          { 'data-member': m.name },
          el('td', { text: m.name }),
          el('td', { text: m.role }),
          el('td', { text: m.last_decision || '—' }),
          el('td', { text: ago(m.updated_at) }),
        ),
      ),
    );
  }

  function renderArchive(c) {
    const archiving = c.members.filter((m) => m.archive);
    const box = $('archive');
    if (!archiving.length) {
      box.replaceChildren(
        el('p', { class: 'empty', text: 'No member reports WAL archiving (pgha manages it on the primary when the nodes have an archive: section).' }),
      );
      return;
    }
    box.replaceChildren(
      ...archiving.map((m) => {
        const a = m.archive;
        return el(
          'div',
          { class: 'archive-state' },
          el('b', { text: 'WAL archive from ' + m.name + ': ' }),
          el('span', { class: a.failing ? 'error-text' : '', text: a.summary }),
          a.pending ? ' (' + bytes(a.pending_bytes) + ' behind)' : '',
          a.last_archived ? ' · last archived ' + a.last_archived : '',
          ' · ' + a.archived_count + ' archived',
          a.failed_count ? ' · ' + a.failed_count + ' failed attempts' + (a.last_failed ? ', last ' + a.last_failed : '') : '',
        );
      }),
    );
  }

  function renderBackups(b) {
    const box = $('backups');
    if (!b.configured) {
      box.replaceChildren(el('p', { class: 'empty', text: 'Backups: ' + (b.message || 'not configured') }));
      return;
    }
    const parts = [el('h3', { text: 'Last backups in ' + b.repository })];
    if (b.error) parts.push(el('p', { class: 'error-text', text: b.error }));
    if (b.backups) {
      parts.push(
        b.backups.length
          ? el(
              'table',
              null,
              el('thead', null, el('tr', null, ['Backup', 'Type', 'Started', 'Took', 'Size', 'Stored', 'Source'].map((h) => el('th', { text: h })))),
              el(
                'tbody',
                null,
                b.backups.map((x) =>
                  el(
                    'tr',
                    null,
                    el('td', { text: x.label }),
                    el('td', { text: x.type }),
                    el('td', { text: x.start_time }),
                    el('td', { text: seconds(x.seconds) }),
                    el('td', { text: bytes(x.bytes) }),
                    el('td', { text: x.stored_bytes ? bytes(x.stored_bytes) : '' }),
                    el('td', { text: (x.source || '') + (x.from_standby ? ' (standby)' : '') }),
                  ),
                ),
              ),
            )
          : el('p', { class: 'empty', text: 'no backup in the repository yet' }),
      );
      if (b.incomplete && b.incomplete.length) {
        parts.push(el('p', { class: 'kv', text: 'incomplete (never used): ' + b.incomplete.join(', ') }));
      }
    }
    if (b.message) parts.push(el('p', { class: 'kv', text: b.message }));
    if (b.listed_at) parts.push(el('p', { class: 'kv', text: b.count + ' in all · listed ' + ago(b.listed_at) + (b.refreshing ? ' · listing again…' : '') }));
    box.replaceChildren(...parts);
  }

  function renderRouters(list) {
    const box = $('routers');
    if (!list.length) {
      box.replaceChildren(el('p', { class: 'empty', text: 'No router publishes its state to this cluster.' }));
      return;
    }
    box.replaceChildren(
      el(
        'table',
        null,
        el('thead', null, el('tr', null, ['Router', 'Read-write', 'Read-only', 'Sessions by member', 'Waiting', 'Routed', 'Published'].map((h) => el('th', { text: h })))),
        el(
          'tbody',
          null,
          list.map((r) => {
            const sessions = Object.entries(r.sessions || {}).sort();
            return el(
              'tr',
              { 'data-router': r.name },
              el('td', { text: r.name }),
              el('td', { text: r.readWrite }),
              el('td', { text: r.readOnly || '—' }),
              el('td', { text: sessions.length ? sessions.map(([k, n]) => k + ': ' + n).join(', ') : 'none' }),
              el('td', { text: r.waiting }),
              el('td', { text: r.routed }),
              el('td', { text: ago(r.updatedAt) }),
            );
          }),
        ),
      ),
    );
  }

  function renderHistory(h) {
    const ol = $('history');
    if (!h.length) {
      ol.replaceChildren(el('li', { class: 'empty', text: 'No timeline switch yet: the first primary still runs.' }));
      return;
    }
    ol.replaceChildren(
      ...h
        .slice()
        .reverse()
        .map((e) => {
          const kind = /switchover/.test(e.reason) ? 'switchover' : /failover/.test(e.reason) ? 'failover' : '';
          return el(
            'li',
            { class: kind, 'data-timeline': e.timeline + 1 },
            el('div', { class: 'when', text: time(e.at) + ' · ' + ago(e.at) }),
            el('div', null, el('b', { text: e.newLeader || '?' }), ' became primary on timeline ' + (e.timeline + 1) + ': ' + e.reason),
            el('div', { class: 'kv', text: 'timeline ' + e.timeline + ' ended at ' + e.switchpoint }),
          );
        }),
    );
  }

  function sectionError(id, e) {
    $(id).replaceChildren(el('p', { class: 'error-text', text: 'cannot read it: ' + e.message }));
  }

  function setConnection(ok, why) {
    const c = $('conn');
    c.className = 'conn' + (ok ? '' : ' down');
    c.textContent = ok ? 'live · updated ' + new Date().toLocaleTimeString() : 'cannot reach this agent: ' + why;
  }

  // ------------------------------------------------------------------ polling

  async function status() {
    try {
      const r = await fetch(location.origin + '/status', { cache: 'no-store' });
      return await r.json();
    } catch (e) {
      return null;
    }
  }

  function loadSlowParts(c) {
    const now = Date.now();
    if (c.timeline !== view.history.timeline || now - view.history.at > 10000) {
      view.history = { timeline: c.timeline, at: now };
      getJson('/history').then(renderHistory, (e) => {
        view.history.timeline = null;
        sectionError('history', e);
      });
    }
    if (now - view.routersAt > 4000) {
      view.routersAt = now;
      getJson('/routers').then(renderRouters, (e) => sectionError('routers', e));
    }
    if (now - view.backups.at > view.backups.again) {
      view.backups.at = now;
      getJson('/backups').then(
        (b) => {
          view.backups.again = b.configured && (b.refreshing || !b.listed_at) ? 3000 : 30000;
          renderBackups(b);
        },
        (e) => sectionError('backups', e),
      );
    }
  }

  async function poll() {
    if (view.polling) {
      view.pollAgain = true;
      return;
    }
    view.polling = true;
    clearTimeout(view.timer);
    try {
      const [c, me] = await Promise.all([getJson('/cluster'), status()]);
      view.cluster = c;
      view.me = me;
      record(c);
      renderCluster(c);
      loadSlowParts(c);
      setConnection(true);
    } catch (e) {
      setConnection(false, e.message);
    } finally {
      view.polling = false;
      if (view.pollAgain) {
        view.pollAgain = false;
        setTimeout(poll, 0);
      } else {
        view.timer = setTimeout(poll, POLL_MS);
      }
    }
  }

  function pollNow() {
    view.history.at = 0;
    view.routersAt = 0;
    poll();
  }

  $('switchover').addEventListener('click', switchover);
  $('pause').addEventListener('click', () => pause(true));
  $('resume').addEventListener('click', () => pause(false));
  $('message-close').addEventListener('click', () => {
    $('message').hidden = true;
  });
  poll();
})();
