/*
 * ketaflow.js: the little JavaScript the server-rendered pages need. Plain ES2020, no build step.
 *
 * Loaded with `defer` after the vendored htmx and uPlot (base.html), so it runs after both and before
 * DOMContentLoaded. The app sends `Content-Security-Policy: script-src 'self'`, so nothing here relies on
 * inline scripts, inline handlers or eval.
 *
 *   (a) CSRF: every htmx request to this origin carries the token from <meta name="csrf-token"> as
 *       the X-CSRF-Token header.
 *   (b) Idle timeout: with <meta name="session-idle-seconds"> (signed-in pages only), warn one minute
 *       before the server ends the session, offer "Stay signed in", then go to /login?notice=expired.
 *   (c) Charts: ketaflow.timeSeriesChart(el) draws a uPlot chart from el.dataset.series; every
 *       [data-chart="timeseries"] is drawn on load and after each htmx swap. A series with a `dash`
 *       array is a reference line (baseline, threshold, prediction) and is drawn dashed. With
 *       data-x="days" the x values are days (e.g. a Kaplan-Meier curve), not unix seconds.
 *   (d) Live board: an element with [data-live-board] listens to its data-stream (server-sent events)
 *       and fires "kf-board-changed" on the body at each change, which its hx-trigger reloads on.
 */
(function () {
  "use strict";

  const WARN_BEFORE_S = 60;
  const KEEPALIVE_URL = "/session/keepalive";
  const EXPIRED_URL = "/login?notice=expired";  // rendering.NOTICES["expired"]

  function meta(name) {
    const el = document.querySelector(`meta[name="${name}"]`);
    return el ? el.getAttribute("content") : null;
  }

  function csrfToken() {
    return meta("csrf-token") || "";
  }

  function isSameOrigin(path) {
    try {
      return new URL(path, window.location.href).origin === window.location.origin;
    } catch (_err) {
      return false;
    }
  }

  // (a) CSRF header on htmx requests ------------------------------------------------------------
  document.addEventListener("htmx:configRequest", (evt) => {
    const token = csrfToken();
    if (token && isSameOrigin(evt.detail.path)) {
      evt.detail.headers["X-CSRF-Token"] = token;
    }
  });

  // (b) Idle-session notice ---------------------------------------------------------------------
  function startIdleWatch(idleSeconds) {
    let deadline = 0;
    let notice = null;
    let countEl = null;
    let statusEl = null;
    // Another tab of the same app extending the session extends it here too.
    const channel = "BroadcastChannel" in window ? new BroadcastChannel("ketaflow-session") : null;

    function buildNotice() {
      notice = document.createElement("div");
      notice.className = "session-notice";
      notice.hidden = true;
      notice.setAttribute("role", "status");

      const text = document.createElement("p");
      text.className = "session-notice__text";
      // Screen readers get the sentence once; the ticking number is for sighted users only.
      const spoken = document.createElement("span");
      spoken.className = "visually-hidden";
      spoken.textContent = `Your session will end in ${WARN_BEFORE_S} s for privacy.`;
      const shown = document.createElement("span");
      shown.setAttribute("aria-hidden", "true");
      countEl = document.createElement("span");
      countEl.className = "session-notice__count";
      shown.append("Your session will end in ", countEl, " s for privacy.");
      text.append(spoken, shown);

      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn--primary btn--small";
      button.textContent = "Stay signed in";
      button.addEventListener("click", keepAlive);

      statusEl = document.createElement("span");
      statusEl.className = "small";

      notice.append(text, button, statusEl);
      document.body.append(notice);
    }

    function showNotice(remainingS) {
      if (!notice) buildNotice();
      countEl.textContent = String(remainingS);
      if (notice.hidden) {
        statusEl.textContent = "";
        notice.hidden = false;
      }
    }

    function hideNotice() {
      if (notice) notice.hidden = true;
    }

    function reset(fromOtherTab) {
      deadline = Date.now() + idleSeconds * 1000;
      hideNotice();
      if (channel && !fromOtherTab) channel.postMessage({ type: "activity" });
    }

    function expire() {
      window.clearInterval(timer);
      window.location.assign(EXPIRED_URL);
    }

    // A deadline checked every second, rather than two long timeouts: survives laptop sleep and
    // background-tab timer throttling.
    function tick() {
      const remainingS = Math.ceil((deadline - Date.now()) / 1000);
      if (remainingS <= 0) {
        expire();
      } else if (remainingS <= WARN_BEFORE_S) {
        showNotice(remainingS);
      }
    }

    async function keepAlive() {
      statusEl.textContent = "";
      try {
        const response = await fetch(KEEPALIVE_URL, {
          method: "POST",
          credentials: "same-origin",
          headers: { "X-CSRF-Token": csrfToken() },
        });
        if (response.ok) {
          reset(false);
        } else if (response.status === 401) {
          expire();
        } else {
          statusEl.textContent = "Could not extend the session.";
        }
      } catch (_err) {
        statusEl.textContent = "Server not reachable.";
      }
    }

    if (channel) {
      channel.addEventListener("message", (evt) => {
        if (evt.data && evt.data.type === "activity") reset(true);
      });
    }

    // Any htmx round trip refreshes the server-side session, so it restarts the countdown, except
    // requests from elements marked data-idle-passive (e.g. a vitals strip polling every few
    // seconds, which must not keep an unattended screen signed in) and requests the server refused
    // as unauthenticated.
    document.addEventListener("htmx:afterRequest", (evt) => {
      const elt = evt.detail.elt;
      const status = evt.detail.xhr ? evt.detail.xhr.status : 0;
      if (elt && elt.closest && elt.closest("[data-idle-passive]")) return;
      if (status === 0 || status === 401) return;
      reset(false);
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") tick();
    });

    reset(false);
    const timer = window.setInterval(tick, 1000);
  }

  const idleSeconds = Number(meta("session-idle-seconds"));
  if (Number.isFinite(idleSeconds) && idleSeconds > 0) {
    startIdleWatch(idleSeconds);
  }

  // (c) Time-series charts ----------------------------------------------------------------------
  // Series colours come from the --kf-chart-N custom properties in ketaflow.css (defaults if absent).
  const DEFAULT_PALETTE = ["#1d6a85", "#c0392b", "#7a5c00", "#5b4b8a", "#2e7d4f", "#8a4f1d"];

  function palette() {
    const style = getComputedStyle(document.documentElement);
    return DEFAULT_PALETTE.map((fallback, i) => style.getPropertyValue(`--kf-chart-${i + 1}`).trim() || fallback);
  }

  function formatValue(value, unit) {
    if (value == null) return "–";
    const rounded = Number.isInteger(value) ? String(value) : value.toFixed(1);
    return unit ? `${rounded} ${unit}` : rounded;
  }

  // Unambiguous 24-hour times ("2025-11-20 15:03"), in the clinic's zone when given, else the browser's.
  function timeParts(tz) {
    let fmt;
    const options = {
      year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
    };
    try {
      fmt = new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: tz || undefined }, options));
    } catch (_err) {
      fmt = new Intl.DateTimeFormat("en-GB", options);  // unknown zone name: fall back to the browser's
    }
    return (ts) => {
      const p = {};
      for (const part of fmt.formatToParts(new Date(ts * 1000))) p[part.type] = part.value;
      return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}`, seconds: p.second };
    };
  }

  function xAxisValues(parts) {
    return (_u, splits, _axisIdx, _space, incr) => {
      let lastDate = null;
      return splits.map((ts) => {
        if (ts == null) return null;
        const t = parts(ts);
        let label = incr >= 86400 ? t.date : incr < 60 ? `${t.time}:${t.seconds}` : t.time;
        if (incr < 86400 && t.date !== lastDate) label += `\n${t.date}`;
        lastDate = t.date;
        return label;
      });
    };
  }

  function showChartError(el, message) {
    el.textContent = "";
    const p = document.createElement("p");
    p.className = "chart__error";
    p.textContent = message;
    el.append(p);
  }

  function destroyChart(el) {
    if (el._kfChart) {
      el._kfChart.plot.destroy();
      el._kfChart.observer.disconnect();
      delete el._kfChart;
    }
  }

  /**
   * Draw a uPlot time-series chart in `el` from its data-series JSON:
   *   {"x": [unix seconds, ...], "series": [{"label": "Systolic BP", "unit": "mmHg", "values": [...]}, ...]}
   * null values are drawn as gaps (missing readings are never interpolated). Series sharing a unit
   * share a y scale with its own axis (first unit left, second right, third left, ...). A series may
   * add "range": [min, max] to fix its unit's scale (e.g. SpO2 [80, 100]) instead of auto-fitting, so
   * small changes are not drawn as big swings.
   * Optional: data-height (px, default 260), data-tz (IANA zone, e.g. "Europe/London"; default: browser zone),
   * data-x="days" (x is a number of days, labelled "day N", instead of a time).
   * Returns the uPlot instance, or null if the data cannot be drawn.
   */
  function timeSeriesChart(el) {
    destroyChart(el);
    if (typeof window.uPlot !== "function") {
      showChartError(el, "Chart library not loaded.");
      return null;
    }

    let spec;
    try {
      spec = JSON.parse(el.dataset.series || "");
    } catch (_err) {
      showChartError(el, "Chart data could not be read.");
      return null;
    }
    if (!spec || !Array.isArray(spec.x) || !Array.isArray(spec.series) || spec.series.length === 0) {
      showChartError(el, "No data to chart.");
      return null;
    }

    const colours = palette();
    const units = [];
    for (const s of spec.series) {
      const unit = s.unit || "";
      if (!units.includes(unit)) units.push(unit);
    }
    const scaleKey = (unit) => `y:${unit}`;

    const tz = el.dataset.tz;
    const parts = timeParts(tz);
    const inDays = el.dataset.x === "days";
    const xSeries = inDays
      ? { label: "Day", value: (_u, day) => (day == null ? "–" : `day ${formatValue(day, "")}`) }
      : { label: "Time", value: (_u, ts) => (ts == null ? "–" : `${parts(ts).date} ${parts(ts).time}`) };
    const series = [xSeries].concat(
      spec.series.map((s, i) => ({
        label: s.unit ? `${s.label} (${s.unit})` : s.label,
        scale: scaleKey(s.unit || ""),
        stroke: colours[i % colours.length],
        width: 2,
        spanGaps: false,
        points: { show: spec.x.length <= 60 && !s.dash, size: 5 },
        dash: Array.isArray(s.dash) ? s.dash : undefined,
        value: (_u, v) => formatValue(v, s.unit),
      }))
    );

    const axisStyle = { stroke: "#52616b", grid: { stroke: "#e6ebee", width: 1 }, ticks: { stroke: "#d8e0e5", width: 1 } };
    const xValues = inDays ? (_u, splits) => splits.map((day) => (day == null ? null : String(day))) : xAxisValues(parts);
    const axes = [
      Object.assign({}, axisStyle, { values: xValues, size: 48, space: 72 }, inDays ? { label: "days", labelSize: 20 } : {}),
    ];
    // Every unit gets its own visible axis (alternating left/right), so no line is ever drawn against
    // an invisible scale. An axis whose unit has a single series takes that series' colour.
    const scales = { x: { time: !inDays } };
    units.forEach((unit, i) => {
      const members = spec.series.filter((s) => (s.unit || "") === unit);
      const fixed = members.find((s) => Array.isArray(s.range) && s.range.length === 2);
      scales[scaleKey(unit)] = fixed ? { auto: false, range: [Number(fixed.range[0]), Number(fixed.range[1])] } : { auto: true };
      const colour = members.length === 1 ? colours[spec.series.indexOf(members[0]) % colours.length] : axisStyle.stroke;
      axes.push(
        Object.assign({}, axisStyle, {
          scale: scaleKey(unit),
          side: i % 2 === 0 ? 3 : 1,
          stroke: colour,
          label: unit || undefined,
          labelSize: unit ? 20 : 0,
          size: 48,
          grid: i === 0 ? axisStyle.grid : { show: false },
        })
      );
    });

    const opts = {
      width: Math.max(el.clientWidth, 200),
      height: Number(el.dataset.height) || 260,
      series,
      axes,
      scales,
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
    };
    if (!inDays && tz && typeof window.uPlot.tzDate === "function") {
      // Tick positions on the clinic's hour boundaries (labels come from xAxisValues).
      try {
        window.uPlot.tzDate(new Date(), tz);
        opts.tzDate = (ts) => window.uPlot.tzDate(new Date(ts * 1000), tz);
      } catch (_err) {
        // unknown zone name: browser zone, as the labels do
      }
    }

    const data = [spec.x].concat(spec.series.map((s) => s.values));
    el.textContent = "";
    if (!el.hasAttribute("role")) el.setAttribute("role", "img");
    if (!el.hasAttribute("aria-label")) {
      el.setAttribute("aria-label", `Chart: ${spec.series.map((s) => s.label).join(", ")}`);
    }

    const plot = new window.uPlot(opts, data, el);
    let lastWidth = el.clientWidth;
    const observer = new ResizeObserver(() => {
      const width = el.clientWidth;
      if (width > 0 && width !== lastWidth) {
        lastWidth = width;
        plot.setSize({ width, height: opts.height });
      }
    });
    observer.observe(el);
    el._kfChart = { plot, observer };
    return plot;
  }

  function initCharts(root) {
    const scope = root && root.querySelectorAll ? root : document;
    const found = Array.from(scope.querySelectorAll('[data-chart="timeseries"]'));
    if (scope.matches && scope.matches('[data-chart="timeseries"]')) found.unshift(scope);
    for (const el of found) {
      if (!el._kfChart) timeSeriesChart(el);
    }
  }

  // htmx:load fires for document.body at start-up and for each piece of swapped-in content.
  document.addEventListener("htmx:load", (evt) => initCharts(evt.detail.elt));
  // Free uPlot instances (and their window listeners) of charts htmx is about to remove; after the
  // current task, so the chart's DOM is not changed while htmx walks it.
  document.addEventListener("htmx:beforeCleanupElement", (evt) => {
    const el = evt.target;
    if (el._kfChart) queueMicrotask(() => destroyChart(el));
  });
  // Without htmx (failed to load) still draw the charts.
  if (typeof window.htmx === "undefined") {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", () => initCharts(document));
    } else {
      initCharts(document);
    }
  }

  // ICD-10-CM search on the intake form: choosing a match puts its code in the row's code field;
  // Enter in a search box searches instead of submitting the whole intake.
  document.addEventListener("click", (evt) => {
    const pick = evt.target instanceof Element ? evt.target.closest("button[data-fill]") : null;
    if (pick) {
      const input = document.getElementById(pick.dataset.fill);
      if (input) {
        input.value = pick.dataset.code;
        input.dispatchEvent(new Event("change", { bubbles: true }));
        input.focus();
      }
      const results = pick.closest(".icd-results");
      if (results) results.replaceChildren();
      return;
    }
    const print = evt.target instanceof Element ? evt.target.closest("[data-print]") : null;
    if (print) window.print();
  });
  document.addEventListener("keydown", (evt) => {
    if (evt.key === "Enter" && evt.target instanceof Element && evt.target.matches("[data-icd-search]")) {
      evt.preventDefault();
    }
  });

  // A fragment that answers a bad input with 422 and the fields' errors (e.g. the order preview) is
  // swapped in like a success when its target opts in with data-swap-errors.
  document.addEventListener("htmx:beforeSwap", (evt) => {
    const target = evt.detail.target;
    const status = evt.detail.xhr ? evt.detail.xhr.status : 0;
    if (status === 422 && target && target.closest && target.closest("[data-swap-errors]")) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  // Order form: only the override in the chosen protocol's unit is shown and sent (disabled inputs are
  // not submitted), so an amount is never entered in one unit and read in another. The form carries
  // data-regimen-kinds = {"protocol id": "dose_per_kg" | "rate_per_kg" | "fixed_rate"}; each override
  // group names the regimen kinds it applies to in data-regimen.
  function syncRegimen(form) {
    let kinds;
    try {
      kinds = JSON.parse(form.dataset.regimenKinds || "{}");
    } catch (_err) {
      return;
    }
    const select = form.querySelector('select[name="protocol_id"]');
    const kind = select ? kinds[select.value] : undefined;
    if (!kind) return;
    for (const group of form.querySelectorAll("[data-regimen]")) {
      const on = group.dataset.regimen.split(" ").includes(kind);
      group.hidden = !on;
      for (const input of group.querySelectorAll("input, select, textarea")) input.disabled = !on;
    }
  }
  function initRegimenForms(root) {
    const scope = root && root.querySelectorAll ? root : document;
    for (const form of scope.querySelectorAll("form[data-regimen-kinds]")) syncRegimen(form);
  }
  // Capture phase: the fields are switched before htmx (listening on the form) sends the preview.
  document.addEventListener(
    "change",
    (evt) => {
      const el = evt.target instanceof Element ? evt.target : null;
      const form = el && el.name === "protocol_id" ? el.closest("form[data-regimen-kinds]") : null;
      if (form) syncRegimen(form);
    },
    true
  );
  document.addEventListener("htmx:load", (evt) => initRegimenForms(evt.detail.elt));
  if (typeof window.htmx === "undefined") {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", () => initRegimenForms(document));
    } else {
      initRegimenForms(document);
    }
  }

  window.ketaflow = Object.freeze({ csrfToken, timeSeriesChart, initCharts });

  // (d) Live board --------------------------------------------------------------------------------
  function startLiveBoard(el) {
    if (!("EventSource" in window) || !el.dataset.stream) return;
    const status = document.getElementById("board-status");
    const source = new EventSource(el.dataset.stream, { withCredentials: true });
    source.addEventListener("change", () => {
      document.body.dispatchEvent(new CustomEvent("kf-board-changed"));
    });
    source.addEventListener("open", () => {
      if (status) status.textContent = "Live: updates as soon as anyone charts.";
      el.dataset.live = "connected";
    });
    source.addEventListener("error", () => {
      if (status) status.textContent = "Reconnecting to live updates… (the board still refreshes every 30 s)";
      el.dataset.live = "reconnecting";
    });
    window.addEventListener("pagehide", () => source.close());
  }
  document.querySelectorAll("[data-live-board]").forEach(startLiveBoard);
})();
