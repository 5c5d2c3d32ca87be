/* Phone simulator for the minyi sandbox: plain ES2020, no dependencies.
 * Everything the user does is POSTed to /sandbox/phones/<openid>/send; everything the phone shows
 * comes from polling /sandbox/phones/<openid>/chat (nothing is added to the chat locally).
 * A representative's or staff member's phone has quick buttons for the workbench's commands;
 * a resident's has a few of residents' own. */
"use strict";

// Every string this script shows, in one place.
const TEXT = {
  groupResidents: "居民",
  groupRepresentatives: "代表",
  groupStaff: "工作人员",
  residentLabel: (name, rep, point) => {
    if (!rep) return `${name}（尚未联系代表）`;
    return point ? `${name}（${rep}代表 · ${point}）` : `${name}（${rep}代表）`;
  },
  unlistedPhone: "上次用的手机",
  representativeLabel: (name, level) => (level ? `${name}（${level}）` : name),
  staffLabel: (name) => name,
  scanOption: (name, level, point) => {
    const who = level ? `${name}（${level}）` : name;
    return point ? `${who} · ${point}` : who;
  },
  noSubDistrict: "其他",
  noRepresentatives: "暂无可扫描的代表",
  noLandmarks: "暂无可选的地点",
  landmarkOption: (name, address) => (address ? `${name}（${address}）` : name),
  following: "已关注",
  notFollowing: "未关注",
  followingUnknown: "—",
  sending: "发送中…",
  emptyChat: "还没有消息。您可以先扫描代表的二维码，或点“关注”，再发送文字、图片、语音或位置。",
  emptyChatWorker: "还没有消息。群众的新反映会推送到这里；点输入框上方的“待办”查看您的待办事项，“帮助”查看全部指令。",
  // The quick buttons: what each one says is also the command it sends or fills in.
  quick: {
    todo: "待办",
    show: "查看",
    accept: "接单",
    reply: "回复",
    "to-subdistrict": "转街道",
    "to-department": "转部门",
    "to-higher": "转上级",
    return: "退回",
    designate: "指派",
    help: "帮助",
    progress: "进度",
    "new-problem": "新问题",
  },
  quickSends: (command) => `发送“${command}”`,
  quickFills: (command, number) => (number ? `填入“${command} ${number}”，再接着写`
    : `填入“${command}”，再写上编号（可以只写末尾几位）`),
  noPhone: "请先选择一部手机，或点“新建居民”。",
  noLandmark: "请先选择一个地点。",
  noRepresentative: "请先选择一位代表。",
  creatingFailed: "新建居民没有成功：",
  network: "连接不上模拟器，请检查网络或服务是否已启动。",
  pollFailed: "暂时收不到新消息，正在重试…",
  directoryFailed: "没能读取代表和地点列表，稍后会自动重试。",
  httpError: (status) => `操作没有成功（服务器返回 ${status}），请稍后再试。`,
  webhookRefused: (status) => `消息没有送达：公众号后台返回 ${status}。`,
  viaCustom: "客服消息",
  viaTemplate: "模板消息",
  viaSubscribe: "订阅通知",
  details: "详情",
  pageLink: (url) => `跳转：${url}`,
  voiceTitle: "语音",
  voiceMessage: "语音消息",
  videoMessage: "视频消息",
  newsMessage: "图文消息",
  openMedia: "查看",
  imageAlt: "图片",
  imageMissing: "图片已失效",
  locationFallback: "位置",
  locationPrefix: "位置：",
  unknownKind: (kind) => `[${kind}]`,
  avatarAccount: "民",
  avatarUser: "我",
  monthDay: (month, day) => `${month}月${day}日`,
};

const STORE_PHONE = "minyi.sandbox.phone";
const STORE_MODE = "minyi.sandbox.mode";
const POLL_MS = 1000;
const TIME_GAP_SECONDS = 5 * 60;
const CASE_NUMBER = /\d{4}-\d{6}/;

/* Which quick buttons each kind of phone has, in order. "send": the command goes at once (it takes
 * nothing more); "number": the text box is filled with the command, then the case number of the
 * phone's latest pushed message when it has one, then a space, for the rest to be typed. */
const QUICK_ACTIONS = {
  todo: "send",
  show: "number",
  accept: "number",
  reply: "number",
  "to-subdistrict": "number",
  "to-department": "number",
  "to-higher": "number",
  return: "number",
  designate: "number",
  help: "send",
  progress: "send",
  "new-problem": "send",
};
const QUICK_SETS = {
  representative: ["todo", "show", "accept", "reply", "to-subdistrict", "to-department", "to-higher", "return",
    "help"],
  staff: ["todo", "show", "accept", "reply", "to-subdistrict", "to-department", "to-higher", "return",
    "designate", "help"],
  resident: ["progress", "new-problem", "help"],
};

const $ = (id) => document.getElementById(id);

const ui = {
  phoneSelect: $("phone-select"),
  residentsGroup: $("phone-group-residents"),
  representativesGroup: $("phone-group-representatives"),
  staffGroup: $("phone-group-staff"),
  stage: $("stage"),
  newResidentForm: $("new-resident-form"),
  nicknameInput: $("nickname-input"),
  newResident: $("new-resident"),
  currentOpenid: $("current-openid"),
  modeSelect: $("mode-select"),
  error: $("error"),
  phone: $("phone"),
  clock: $("status-clock"),
  titleState: $("title-state"),
  chat: $("chat"),
  chatArea: $("chat").parentElement,
  quickBar: $("quick-bar"),
  textInput: $("text-input"),
  sendText: $("send-text"),
  repSelect: $("rep-select"),
  scanButton: $("scan-button"),
  qrDownload: $("qr-download"),
  posterFile: $("poster-file"),
  imageFile: $("image-file"),
  landmarkSelect: $("landmark-select"),
  sendLandmark: $("send-landmark"),
  latInput: $("lat-input"),
  lngInput: $("lng-input"),
  sendCoordinates: $("send-coordinates"),
  voiceInput: $("voice-input"),
  sendVoice: $("send-voice"),
  followState: $("follow-state"),
  followButton: $("follow-button"),
  unfollowButton: $("unfollow-button"),
};

const state = {
  base: withSlash(document.body.dataset.base || "/sandbox/"),
  directory: { representatives: [], staff: [], residents: [], landmarks: [], modes: ["plain", "safe"] },
  openid: null,
  role: null,
  pushedNumber: "",
  drafts: new Map(), // what was left in the text box, per phone (a command must not follow to another phone)
  lastSeq: 0,
  lastAt: null,
  following: null,
  generation: 0,
  polling: false,
  pollAgain: false,
  busy: 0,
  errorSource: null,
  sendChain: Promise.resolve(),
  directoryTimer: null,
};

function withSlash(path) {
  return path.endsWith("/") ? path : `${path}/`;
}

// -- storage (may be unavailable, e.g. in a locked-down browser) ----------------------------

const store = {
  get(key) {
    try {
      return window.localStorage.getItem(key);
    } catch {
      return null;
    }
  },
  set(key, value) {
    try {
      window.localStorage.setItem(key, value);
    } catch {
      /* not remembered, that is all */
    }
  },
};

// -- talking to the server ---------------------------------------------------------------------

class ServerError extends Error {}

async function request(path, options = {}) {
  let response;
  try {
    response = await fetch(state.base + path, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" },
      ...options,
    });
  } catch {
    throw new ServerError(TEXT.network);
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const message = data && typeof data.error === "string" && data.error ? data.error : TEXT.httpError(response.status);
    throw new ServerError(message);
  }
  if (data === null) {
    throw new ServerError(TEXT.httpError(response.status));
  }
  return data;
}

function phonePath(openid, rest) {
  return `phones/${encodeURIComponent(openid)}/${rest}`;
}

// -- the error area ------------------------------------------------------------------------------

/* ``near`` is the control the person used: a warning about a tool's action shows in that tool's
 * panel, every other one inside the phone. */
function showError(message, source = "action", near = null) {
  const home = (near && near.closest(".panel")) || ui.chatArea;
  if (ui.error.parentElement !== home) home.append(ui.error);
  ui.error.classList.toggle("in-panel", home !== ui.chatArea);
  ui.error.textContent = message;
  state.errorSource = source;
  placeError();
}

function clearError(source = null) {
  if (source !== null && state.errorSource !== source) return;
  ui.error.textContent = "";
  state.errorSource = null;
  placeError();
}

/* Whether the bottom of the phone's chat (where warnings and the newest messages are) is on screen. */
function chatInView(margin = 0) {
  const area = ui.chatArea.getBoundingClientRect();
  return area.height > 0 && area.bottom <= window.innerHeight && area.bottom - margin >= 0;
}

/* A warning stays where it was put (inside the phone, just above the text box, or in a tool's
 * panel) while that spot is on screen; when it is not, e.g. the person scrolled away on a small
 * screen, it floats at the top of the window. */
function placeError() {
  const shown = ui.error.textContent !== "";
  let inView = true;
  if (shown && ui.error.parentElement === ui.chatArea) {
    inView = chatInView(ui.error.offsetHeight + 20);
  } else if (shown) {
    const panel = ui.error.parentElement.getBoundingClientRect();
    inView = panel.bottom > 0 && panel.top < window.innerHeight;
  }
  ui.error.classList.toggle("floating", !inView);
}

// -- DOM helpers ----------------------------------------------------------------------------------

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function option(value, label) {
  const node = document.createElement("option");
  node.value = value;
  node.textContent = label;
  return node;
}

function isWebUrl(url) {
  return typeof url === "string" && /^https?:\/\//i.test(url.trim());
}

/* WeChat renders <a href="...">…</a> inside text messages; show those as links (http/https only),
 * everything else stays literal text. */
function appendRichText(parent, text) {
  const pattern = /<a\s+href=(["'])(.*?)\1[^>]*>([\s\S]*?)<\/a>/gi;
  let index = 0;
  let match;
  while ((match = pattern.exec(text)) !== null) {
    if (match.index > index) parent.append(text.slice(index, match.index));
    const [, , href, label] = match;
    if (isWebUrl(href)) {
      const link = el("a", "chat-link", label || href);
      link.href = href.trim();
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      parent.append(link);
    } else {
      parent.append(match[0]);
    }
    index = match.index + match[0].length;
  }
  if (index < text.length) parent.append(text.slice(index));
}

function pad(number) {
  return String(number).padStart(2, "0");
}

function formatTime(epochSeconds) {
  const when = new Date(epochSeconds * 1000);
  const now = new Date();
  const hm = `${pad(when.getHours())}:${pad(when.getMinutes())}`;
  const sameDay = when.getFullYear() === now.getFullYear() && when.getMonth() === now.getMonth()
    && when.getDate() === now.getDate();
  return sameDay ? hm : `${TEXT.monthDay(when.getMonth() + 1, when.getDate())} ${hm}`;
}

// -- directory: phones, representatives, landmarks --------------------------------------------

async function loadDirectory() {
  try {
    const data = await request("directory");
    state.directory = {
      representatives: Array.isArray(data.representatives) ? data.representatives : [],
      staff: Array.isArray(data.staff) ? data.staff : [],
      residents: Array.isArray(data.residents) ? data.residents : [],
      landmarks: Array.isArray(data.landmarks) ? data.landmarks : [],
      modes: Array.isArray(data.modes) ? data.modes : ["plain", "safe"],
    };
    clearError("directory");
  } catch (error) {
    showError(`${TEXT.directoryFailed}（${error.message}）`, "directory");
    scheduleDirectory(5000);
  }
  renderPhones();
  renderRepresentatives();
  renderLandmarks();
}

function scheduleDirectory(delay = 600) {
  window.clearTimeout(state.directoryTimer);
  state.directoryTimer = window.setTimeout(loadDirectory, delay);
}

/* Residents' phones by their owners' nicknames (the server lists the phones made here first, then
 * the residents minyi knows); never by openid. */
function renderPhones() {
  const residents = state.directory.residents.filter((resident) => resident && typeof resident.openid === "string"
    && resident.openid && typeof resident.name === "string" && resident.name);
  const listed = new Set([
    ...residents.map((resident) => resident.openid),
    ...state.directory.representatives.filter((rep) => rep && rep.openid).map((rep) => rep.openid),
    ...state.directory.staff.filter((user) => user && user.openid).map((user) => user.openid),
  ]);
  const options = residents.map((resident) => option(
    resident.openid, TEXT.residentLabel(resident.name, resident.representative, resident.contact_point)));
  if (state.openid && !listed.has(state.openid)) {
    options.unshift(option(state.openid, TEXT.unlistedPhone)); // remembered from an earlier run
  }
  ui.residentsGroup.replaceChildren(...options);
  ui.representativesGroup.replaceChildren(
    ...state.directory.representatives
      .filter((rep) => rep && rep.openid)
      .map((rep) => option(rep.openid, TEXT.representativeLabel(rep.name, rep.level))),
  );
  ui.staffGroup.replaceChildren(
    ...state.directory.staff
      .filter((user) => user && user.openid)
      .map((user) => option(user.openid, TEXT.staffLabel(user.name))),
  );
  ui.residentsGroup.label = TEXT.groupResidents;
  ui.representativesGroup.label = TEXT.groupRepresentatives;
  ui.staffGroup.label = TEXT.groupStaff;
  if (state.openid) ui.phoneSelect.value = state.openid;
  renderQuickBar();
}

// -- quick buttons -------------------------------------------------------------------------------

/* Whose phone this is: "representative" or "staff" (they work on cases here), else "resident". */
function phoneRole(openid) {
  if (!openid) return "resident";
  if (state.directory.representatives.some((rep) => rep && rep.openid === openid)) return "representative";
  if (state.directory.staff.some((user) => user && user.openid === openid)) return "staff";
  return "resident";
}

/* The buttons are built again only when the kind of phone changes (a directory refresh must not
 * swap a button from under a click); their titles follow the latest case number. */
function renderQuickBar() {
  const role = state.openid ? phoneRole(state.openid) : null;
  if (role !== state.role) {
    state.role = role;
    ui.phone.dataset.role = role || "";
    const keys = role ? QUICK_SETS[role] : [];
    ui.quickBar.replaceChildren(...keys.map((key) => {
      const button = el("button", "quick", TEXT.quick[key]);
      button.type = "button";
      button.dataset.quick = key;
      button.setAttribute("data-testid", `quick-${key}`);
      return button;
    }));
    ui.quickBar.hidden = keys.length === 0;
    const hint = ui.chat.querySelector(".empty-hint");
    if (hint) hint.replaceWith(emptyHint());
  }
  ui.quickBar.dataset.number = state.pushedNumber;
  for (const button of ui.quickBar.querySelectorAll("button[data-quick]")) {
    const key = button.dataset.quick;
    const command = TEXT.quick[key];
    const action = QUICK_ACTIONS[key];
    button.title = action === "send" ? TEXT.quickSends(command)
      : TEXT.quickFills(command, action === "number" ? state.pushedNumber : "");
  }
}

function useQuick(key) {
  const command = TEXT.quick[key];
  const action = QUICK_ACTIONS[key];
  if (!command || !action) return;
  if (action === "send") {
    send("text", { text: command });
    return;
  }
  const number = action === "number" ? state.pushedNumber : "";
  const value = number ? `${command} ${number} ` : `${command} `;
  ui.textInput.value = value;
  fitTextBox();
  ui.textInput.focus();
  ui.textInput.setSelectionRange(value.length, value.length);
  ui.textInput.scrollTop = ui.textInput.scrollHeight;
}

/* The text box grows with what is in it (up to its CSS max-height), as WeChat's does. */
function fitTextBox() {
  const box = ui.textInput;
  box.style.height = "";
  if (box.scrollHeight > box.clientHeight) {
    const borders = box.offsetHeight - box.clientHeight;
    box.style.height = `${box.scrollHeight + borders}px`;
  }
}

/* The case number in a message the account pushed (customer-service or template), or "". */
function caseNumberOf(entry) {
  const parts = [entry.title, entry.text, ...(Array.isArray(entry.lines) ? entry.lines : [])];
  const match = parts.filter((part) => typeof part === "string").join("\n").match(CASE_NUMBER);
  return match ? match[0] : "";
}

function renderRepresentatives() {
  const previous = ui.repSelect.value;
  const groups = new Map();
  for (const rep of state.directory.representatives) {
    if (!rep || !rep.code) continue;
    const key = rep.sub_district || TEXT.noSubDistrict;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(rep);
  }
  const nodes = [];
  for (const [label, reps] of groups) {
    const group = document.createElement("optgroup");
    group.label = label;
    group.append(...reps.map((rep) => option(rep.code, TEXT.scanOption(rep.name, rep.level, rep.contact_point))));
    nodes.push(group);
  }
  if (nodes.length === 0) {
    const empty = option("", TEXT.noRepresentatives);
    empty.disabled = true;
    nodes.push(empty);
  }
  ui.repSelect.replaceChildren(...nodes);
  if (previous && state.directory.representatives.some((rep) => rep && rep.code === previous)) {
    ui.repSelect.value = previous;
  }
  updateQrLink();
}

function updateQrLink() {
  const code = ui.repSelect.value;
  if (code) {
    ui.qrDownload.href = `${state.base}poster/${encodeURIComponent(code)}.png`;
    ui.qrDownload.setAttribute("download", `${code}.png`);
    ui.qrDownload.removeAttribute("aria-disabled");
  } else {
    ui.qrDownload.removeAttribute("href");
    ui.qrDownload.setAttribute("aria-disabled", "true");
  }
}

function renderLandmarks() {
  const previous = ui.landmarkSelect.value;
  const landmarks = state.directory.landmarks;
  if (landmarks.length === 0) {
    const empty = option("", TEXT.noLandmarks);
    empty.disabled = true;
    ui.landmarkSelect.replaceChildren(empty);
    return;
  }
  ui.landmarkSelect.replaceChildren(
    ...landmarks.map((place, index) => option(String(index), TEXT.landmarkOption(place.name, place.address))),
  );
  if (previous && Number(previous) < landmarks.length) ui.landmarkSelect.value = previous;
}

// -- choosing a phone ---------------------------------------------------------------------------

function selectPhone(openid) {
  if (!openid) return;
  if (openid === state.openid) {
    ui.phoneSelect.value = openid;
    return;
  }
  if (state.openid) state.drafts.set(state.openid, ui.textInput.value);
  state.openid = openid;
  ui.textInput.value = state.drafts.get(openid) || "";
  fitTextBox();
  state.generation += 1;
  state.lastSeq = 0;
  state.lastAt = null;
  state.pushedNumber = "";
  ui.chat.replaceChildren(emptyHint());
  ui.phone.dataset.openid = openid;
  ui.currentOpenid.textContent = openid;
  store.set(STORE_PHONE, openid);
  setFollowing(null);
  clearError();
  renderPhones();
  renderQuickBar();
  poll();
}

/* A new resident's phone. At start-up (``onlyIfNoneChosen``) it is shown only if no phone was
   picked while it was being made: a slow server must not take the person off the phone they chose. */
async function newResident(onlyIfNoneChosen = false) {
  ui.newResident.disabled = true;
  const form = new FormData();
  form.append("nickname", ui.nicknameInput.value.trim());
  try {
    const data = await request("phones", { method: "POST", body: form });
    if (!data.openid || !data.name) throw new ServerError(TEXT.httpError(200));
    ui.nicknameInput.value = "";
    state.directory.residents.unshift({ openid: data.openid, name: data.name, representative: "", contact_point: "" });
    if (!onlyIfNoneChosen || !state.openid) selectPhone(data.openid);
    else renderPhones();
    scheduleDirectory();
  } catch (error) {
    showError(TEXT.creatingFailed + error.message);
  } finally {
    ui.newResident.disabled = false;
  }
}

function setFollowing(following) {
  state.following = following;
  const label = following === null ? TEXT.followingUnknown : following ? TEXT.following : TEXT.notFollowing;
  ui.followState.textContent = label;
  ui.phone.dataset.following = following === null ? "" : String(following);
  ui.followButton.classList.toggle("primary", following !== true);
  ui.unfollowButton.classList.toggle("primary", false);
  renderTitleState();
}

function renderTitleState() {
  if (state.busy > 0) {
    ui.titleState.textContent = TEXT.sending;
  } else {
    ui.titleState.textContent = state.following === null ? "" : state.following ? TEXT.following : TEXT.notFollowing;
  }
}

function setBusy(delta) {
  state.busy = Math.max(0, state.busy + delta);
  ui.phone.dataset.busy = state.busy > 0 ? "true" : "false";
  renderTitleState();
}

// -- the chat feed --------------------------------------------------------------------------------

async function poll() {
  if (!state.openid) return;
  if (state.polling) {
    state.pollAgain = true;
    return;
  }
  state.polling = true;
  const generation = state.generation;
  const openid = state.openid;
  try {
    const data = await request(`${phonePath(openid, "chat")}?after=${state.lastSeq}`);
    if (generation !== state.generation) return;
    const entries = Array.isArray(data.entries) ? data.entries : [];
    const fresh = entries
      .filter((entry) => entry && Number(entry.seq) > state.lastSeq)
      .sort((a, b) => Number(a.seq) - Number(b.seq));
    if (fresh.length > 0) {
      const stick = nearBottom() || state.lastSeq === 0;
      const hint = ui.chat.querySelector(".empty-hint");
      if (hint) hint.remove();
      for (const entry of fresh) {
        renderEntry(entry, stick);
        state.lastSeq = Number(entry.seq);
        if (entry.side === "account" && typeof entry.via === "string" && entry.via && entry.via !== "passive") {
          state.pushedNumber = caseNumberOf(entry); // the latest pushed message decides, number or none
        }
      }
      renderQuickBar();
      if (stick) scrollToBottom();
    }
    if (typeof data.following === "boolean") setFollowing(data.following);
    clearError("poll");
  } catch (error) {
    if (generation === state.generation) showError(`${TEXT.pollFailed}（${error.message}）`, "poll");
  } finally {
    state.polling = false;
    if (state.pollAgain) {
      state.pollAgain = false;
      poll();
    }
  }
}

function nearBottom() {
  const chat = ui.chat;
  return chat.scrollHeight - chat.scrollTop - chat.clientHeight < 80;
}

function scrollToBottom() {
  ui.chat.scrollTop = ui.chat.scrollHeight;
}

function emptyHint() {
  const role = state.openid ? phoneRole(state.openid) : "resident";
  return el("p", "empty-hint", role === "resident" ? TEXT.emptyChat : TEXT.emptyChatWorker);
}

function renderEntry(entry, stick) {
  const at = Number(entry.at);
  if (Number.isFinite(at) && (state.lastAt === null || at - state.lastAt >= TIME_GAP_SECONDS)) {
    ui.chat.append(el("div", "time-divider", formatTime(at)));
  }
  if (Number.isFinite(at)) state.lastAt = at;

  const side = ["user", "account", "system"].includes(entry.side) ? entry.side : "system";
  const kind = typeof entry.kind === "string" && entry.kind ? entry.kind : "text";
  const notice = side === "system" || kind === "event" || kind === "scan";

  const bubble = el("div", notice ? `notice notice-${side}` : `bubble bubble-${side}`);
  bubble.setAttribute("data-testid", "bubble");
  bubble.dataset.side = side;
  bubble.dataset.kind = kind;
  bubble.dataset.seq = String(entry.seq);
  if (typeof entry.via === "string" && entry.via) bubble.dataset.via = entry.via;

  if (notice) {
    bubble.textContent = entry.text || TEXT.unknownKind(kind);
    const row = el("div", "row row-notice");
    row.append(bubble);
    ui.chat.append(row);
    return;
  }

  fillBubble(bubble, entry, side, kind, stick);

  const row = el("div", `row row-${side}`);
  const avatar = el("div", `avatar avatar-${side}`, side === "account" ? TEXT.avatarAccount : TEXT.avatarUser);
  avatar.setAttribute("aria-hidden", "true");
  const body = el("div", "row-body");
  if (side === "account" && entry.via === "custom") body.append(el("div", "via-label", TEXT.viaCustom));
  body.append(bubble);
  row.append(avatar, body);
  ui.chat.append(row);
}

function fillBubble(bubble, entry, side, kind, stick) {
  const text = typeof entry.text === "string" ? entry.text : "";
  if (kind === "template") {
    bubble.classList.add("bubble-card");
    const label = entry.via === "subscribe" ? TEXT.viaSubscribe : TEXT.viaTemplate;
    bubble.append(el("div", "card-label", label));
    if (entry.title) bubble.append(el("div", "card-title", entry.title));
    if (text) bubble.append(el("div", "card-text", text));
    const lines = Array.isArray(entry.lines) ? entry.lines : [];
    if (lines.length > 0) {
      const list = el("div", "card-lines");
      for (const line of lines) list.append(el("div", "card-line", line));
      bubble.append(list);
    }
    if (isWebUrl(entry.url)) {
      const link = el("a", "card-link", TEXT.details);
      link.href = entry.url.trim();
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      bubble.append(link);
    } else if (typeof entry.url === "string" && entry.url) {
      bubble.append(el("div", "card-page", TEXT.pageLink(entry.url)));
    }
    return;
  }
  if (entry.media_id && (kind === "image" || !text)) {
    if (kind === "image") {
      bubble.classList.add("bubble-image");
      bubble.append(mediaImage(entry.media_id, stick));
      return;
    }
    const label = kind === "voice" ? TEXT.voiceMessage : kind === "video" ? TEXT.videoMessage
      : kind === "news" || kind === "mpnews" ? TEXT.newsMessage : TEXT.unknownKind(kind);
    bubble.append(el("span", "", `${label} `));
    if (kind === "voice" || kind === "video") {
      const link = el("a", "chat-link", TEXT.openMedia);
      link.href = mediaUrl(entry.media_id);
      link.target = "_blank";
      link.rel = "noopener";
      bubble.append(link);
    }
    return;
  }
  if (kind === "voice") {
    bubble.classList.add("bubble-voice");
    bubble.append(el("div", "voice-bar", `▶ ${TEXT.voiceTitle}`));
    if (text) bubble.append(el("div", "voice-text", text));
    return;
  }
  if (kind === "location") {
    bubble.classList.add("bubble-location");
    bubble.textContent = `${TEXT.locationPrefix}${text || TEXT.locationFallback}`;
    return;
  }
  if (text) {
    if (side === "account") appendRichText(bubble, text);
    else bubble.textContent = text;
    return;
  }
  bubble.textContent = TEXT.unknownKind(kind);
}

function mediaUrl(mediaId) {
  return `${state.base}media/${encodeURIComponent(String(mediaId))}`;
}

function mediaImage(mediaId, stick) {
  const link = el("a", "image-link");
  link.href = mediaUrl(mediaId);
  link.target = "_blank";
  link.rel = "noopener";
  const image = el("img", "chat-image");
  image.src = mediaUrl(mediaId);
  image.alt = TEXT.imageAlt;
  image.loading = "lazy";
  image.addEventListener("load", () => {
    if (stick) scrollToBottom();
  });
  image.addEventListener("error", () => {
    link.replaceWith(el("span", "image-missing", TEXT.imageMissing));
  });
  link.append(image);
  return link;
}

// -- doing things on the phone ---------------------------------------------------------------

/* Sends run one after another, in the order they were asked for, each for the phone and mode
 * chosen at the moment of asking. Resolves to true when the server accepted it. */
function send(kind, fields = {}, near = null) {
  const openid = state.openid;
  if (!openid) {
    showError(TEXT.noPhone, "action", near);
    return Promise.resolve(false);
  }
  const form = new FormData();
  form.append("kind", kind);
  form.append("mode", ui.modeSelect.value === "safe" ? "safe" : "plain");
  for (const [name, value] of Object.entries(fields)) form.append(name, value);

  const task = async () => {
    setBusy(1);
    try {
      const data = await request(phonePath(openid, "send"), { method: "POST", body: form });
      if (typeof data.status === "number" && data.status !== 200) {
        showError(TEXT.webhookRefused(data.status), "action", near);
      } else {
        clearError();
      }
      if (openid === state.openid && !chatInView()) {
        // Sent from a tool below the phone (a small screen): back to the chat, where the answer comes.
        ui.stage.scrollIntoView({ behavior: "smooth", block: "start" });
      }
      scheduleDirectory();
      return true;
    } catch (error) {
      showError(error.message, "action", near);
      return false;
    } finally {
      setBusy(-1);
      if (openid === state.openid) {
        // Our own bubble and the passive reply arrive through the feed.
        window.requestAnimationFrame(scrollToBottom);
      }
      poll();
    }
  };
  const run = state.sendChain.then(task);
  state.sendChain = run.catch(() => false);
  return run;
}

/* Inputs are emptied at once, like WeChat does, and given back if the message was refused. */
async function sendFromInput(input, kind) {
  const value = input.value;
  const openid = state.openid;
  input.value = "";
  if (input === ui.textInput) fitTextBox();
  const ok = await send(kind, { text: value }, input);
  if (ok) return;
  if (input === ui.textInput && openid !== state.openid) {
    if (openid && !state.drafts.get(openid)) state.drafts.set(openid, value); // back in that phone's box
  } else if (input.value === "") {
    input.value = value;
    if (input === ui.textInput) fitTextBox();
  }
}

function sendFile(input, kind) {
  const file = input.files && input.files[0];
  if (!file) return;
  input.value = ""; // so choosing the same picture again still sends
  send(kind, { file }, input);
}

function sendLandmark() {
  const index = ui.landmarkSelect.value;
  const place = index === "" ? null : state.directory.landmarks[Number(index)];
  if (!place) {
    showError(TEXT.noLandmark, "action", ui.sendLandmark);
    return;
  }
  send("location", {
    latitude: String(place.latitude),
    longitude: String(place.longitude),
    label: place.name || "",
  }, ui.sendLandmark);
}

function sendCoordinates() {
  send("location", {
    latitude: ui.latInput.value.trim(),
    longitude: ui.lngInput.value.trim(),
    label: "",
  }, ui.sendCoordinates);
}

function scan() {
  const code = ui.repSelect.value;
  if (!code) {
    showError(TEXT.noRepresentative, "action", ui.scanButton);
    return;
  }
  send("scan", { code }, ui.scanButton);
}

function enterSends(input, action, { allowNewline = false } = {}) {
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.isComposing || event.keyCode === 229) return;
    if (allowNewline && event.shiftKey) return;
    event.preventDefault();
    action();
  });
}

function showPanel(id) {
  const panel = $(id);
  if (!panel) return;
  panel.scrollIntoView({ behavior: "smooth", block: "nearest" });
  panel.classList.remove("flash");
  void panel.offsetWidth; // restart the highlight
  panel.classList.add("flash");
  const first = panel.querySelector("select, input, textarea, button");
  if (first) first.focus({ preventScroll: true });
}

function tickClock() {
  const now = new Date();
  ui.clock.textContent = `${now.getHours()}:${pad(now.getMinutes())}`;
}

// -- start ------------------------------------------------------------------------------------------

function bind() {
  ui.phoneSelect.addEventListener("change", () => selectPhone(ui.phoneSelect.value));
  ui.newResidentForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!ui.newResident.disabled) newResident();
  });
  ui.modeSelect.addEventListener("change", () => store.set(STORE_MODE, ui.modeSelect.value));
  ui.error.addEventListener("click", () => clearError());
  window.addEventListener("scroll", placeError, { passive: true });
  window.addEventListener("resize", placeError);

  ui.sendText.addEventListener("click", () => sendFromInput(ui.textInput, "text"));
  ui.textInput.addEventListener("input", fitTextBox);
  ui.quickBar.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-quick]");
    if (button) useQuick(button.dataset.quick);
  });
  enterSends(ui.textInput, () => sendFromInput(ui.textInput, "text"), { allowNewline: true });
  ui.sendVoice.addEventListener("click", () => sendFromInput(ui.voiceInput, "voice"));
  enterSends(ui.voiceInput, () => sendFromInput(ui.voiceInput, "voice"));

  ui.repSelect.addEventListener("change", updateQrLink);
  ui.scanButton.addEventListener("click", scan);
  ui.posterFile.addEventListener("change", () => sendFile(ui.posterFile, "scan_image"));
  ui.imageFile.addEventListener("change", () => sendFile(ui.imageFile, "image"));

  ui.sendLandmark.addEventListener("click", sendLandmark);
  ui.sendCoordinates.addEventListener("click", sendCoordinates);
  enterSends(ui.latInput, sendCoordinates);
  enterSends(ui.lngInput, sendCoordinates);

  ui.followButton.addEventListener("click", () => send("follow", {}, ui.followButton));
  ui.unfollowButton.addEventListener("click", () => send("unfollow", {}, ui.unfollowButton));

  for (const tool of document.querySelectorAll(".tool[data-panel]")) {
    tool.addEventListener("click", () => showPanel(tool.dataset.panel));
  }
}

async function start() {
  const mode = store.get(STORE_MODE);
  if (mode === "plain" || mode === "safe") ui.modeSelect.value = mode;
  bind();
  tickClock();
  window.setInterval(tickClock, 30 * 1000);
  setFollowing(null);
  updateQrLink();

  await loadDirectory();
  const remembered = store.get(STORE_PHONE);
  if (remembered) {
    selectPhone(remembered);
  } else if (!state.openid && !ui.newResident.disabled) {
    await newResident(true); // unless 「新建居民」 was pressed while the lists were loading
  }
  window.setInterval(poll, POLL_MS);
}

start();
