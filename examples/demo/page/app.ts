/**
 * The key-management page: log in, list, create (shown once), rename, disable/enable,
 * rotate (with an overlap) and delete keys, your own and your team's; an admin also sees
 * any owner's keys. Plain DOM, no framework: the point is to show the key routes, the
 * cookie and the CSRF rule at work in a browser, usable by keyboard and screen reader.
 */
import { ApiError, api } from "./api.js";
import type { Created, KeyApi, KeyView, Me } from "./api.js";
import { creditsText, exhausted } from "./credits.js";
import { button, byId, el, when } from "./dom.js";

let me: Me | null = null;
let team: string | null = null;

let noticeSeq = 0;
/**
 * Says something in the live region. It is emptied first and filled a frame later, so that
 * the same message twice in a row is announced twice.
 */
function notice(text: string, isError = false): void {
  const box = byId("notice");
  const seq = ++noticeSeq;
  box.textContent = "";
  box.classList.toggle("error", isError);
  if (text === "") return;
  requestAnimationFrame(() => {
    if (seq === noticeSeq) box.textContent = text;
  });
}

/** Runs a user action; failures become a notice instead of a silent console error. */
function act(work: () => Promise<void>): void {
  work().catch((error: unknown) => {
    if (error instanceof ApiError && error.status === 401) {
      showLogin("Your session has ended; log in again.");
      return;
    }
    notice(error instanceof Error ? error.message : String(error), true);
  });
}

/** Shows a new key once, and puts the keyboard on it, selected, ready to copy. */
function showCreated(created: Created, note: string): void {
  const input = byId<HTMLInputElement>("created-key");
  input.value = created.key;
  byId("created").hidden = false;
  input.focus();
  input.select();
  notice(note);
}

/** One list of keys on the page: whose, through which routes, and what to say when empty. */
interface KeyTable {
  bodyId: string;
  /** The heading that takes the focus when the focused row is gone. */
  titleId: string;
  keys: () => KeyApi;
  /** Whether these are the admin routes (which may undo an admin's disable). */
  admin: boolean;
  empty: string;
}

/** The columns of every key table, in the order {@link keyRow} fills them. */
const COLUMNS = [
  "Name and key",
  "Scopes",
  "Usage",
  "Created (UTC)",
  "Last used (UTC)",
  "Expires (UTC)",
  "Status",
  "Actions",
];

/** A text field of a submitted form ("" when absent). */
function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
}

/** How long a rotated-out key keeps working, as offered by the Rotate form (seconds). */
const OVERLAPS: [number, string][] = [
  [0, "stops at once"],
  [3600, "works 1 more hour"],
  [86_400, "works 1 more day"],
  [604_800, "works 7 more days"],
];

function statusOf(key: KeyView): Node[] {
  if (key.disabledBy === "rotation" && key.status === "active") {
    const end = el("span", { text: when(key.expiresAt), className: "date" });
    return [document.createTextNode("rotated; works until "), end];
  }
  if (key.disabledBy === "admin" && !key.enabled)
    return [document.createTextNode("disabled by admin")];
  return [document.createTextNode(key.status)];
}

function cell(label: string, ...children: Node[]): HTMLTableCellElement {
  return el("td", { attrs: { "data-label": label } }, ...children);
}

/** Redraws a table, then puts the focus back where the change happened (or on its heading). */
async function render(table: KeyTable, focus?: { keyId: string; testId: string }) {
  const { items } = await table.keys().list();
  const body = byId(table.bodyId);
  body.replaceChildren(...items.map((key) => keyRow(key, table)));
  if (items.length === 0) {
    const colspan = String(COLUMNS.length);
    body.append(
      el("tr", {}, el("td", { text: table.empty, className: "empty", attrs: { colspan } })),
    );
  }
  if (focus) {
    const target = body.querySelector<HTMLElement>(
      `tr[data-key-id="${CSS.escape(focus.keyId)}"] [data-testid="${focus.testId}"]`,
    );
    (target ?? byId(table.titleId)).focus();
  }
  return items;
}

function keyRow(key: KeyView, table: KeyTable): HTMLTableRowElement {
  const rotatedOut = key.disabledBy === "rotation";
  // A rotation keeps the name: "rotated" tells the old key's buttons from the new one's.
  const quoted = `${rotatedOut ? "rotated " : ""}key “${key.name}”`;
  const adminLock = key.disabledBy === "admin" && !key.enabled && !table.admin;
  // A rotated key was replaced for good, and an admin's disable is undone only by an admin:
  // offer no button the server would refuse. A key still in its overlap may be stopped now.
  const canToggle = key.enabled || (!rotatedOut && !adminLock);
  const canRotate = !rotatedOut && !adminLock;

  const nameText = () => el("span", { text: key.name, testId: "key-name" });
  const nameBox = el("span", { className: "name" }, nameText());
  const nameCell = cell(
    "Name and key",
    el("div", {}, nameBox, el("code", { text: `${key.prefix}_${key.id}_…`, testId: "key-id" })),
  );
  // The buttons sit in a box of their own: a flex cell would stop being a table cell.
  const bar = el("div", { className: "bar" });
  const actionsCell = cell("Actions", bar);
  actionsCell.classList.add("actions");
  const buttons: HTMLButtonElement[] = [];

  const rename = button("Rename", () => startRename(), {
    testId: "rename",
    label: `Rename ${quoted}`,
  });
  buttons.push(rename);

  function startRename(): void {
    const input = el("input", {
      testId: "rename-input",
      attrs: { "aria-label": `New name for ${quoted}`, maxlength: "100", required: "" },
    });
    input.value = key.name;
    const cancel = () => {
      nameBox.replaceChildren(nameText());
      rename.focus();
    };
    const form = el(
      "form",
      { className: "inline" },
      input,
      button("Save", () => undefined, { type: "submit", testId: "rename-save" }),
      button("Cancel", cancel, { testId: "rename-cancel" }),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const name = input.value.trim();
      if (name === key.name) return cancel();
      act(async () => {
        await table.keys().update(key.id, { name });
        notice(`Renamed ${quoted} to “${name}”.`);
        await render(table, { keyId: key.id, testId: "rename" });
      });
    });
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        cancel();
      }
    });
    nameBox.replaceChildren(form);
    input.focus();
    input.select();
  }

  if (canToggle) {
    const verb = key.enabled ? "Disable" : "Enable";
    const toggle = button(
      verb,
      () =>
        act(async () => {
          await table.keys().update(key.id, { enabled: !key.enabled });
          notice(`${key.enabled ? "Disabled" : "Enabled"} ${quoted}.`);
          await render(table, { keyId: key.id, testId: key.enabled ? "enable" : "disable" });
        }),
      { testId: verb.toLowerCase(), label: `${verb} ${quoted}` },
    );
    buttons.push(toggle);
  }

  if (canRotate) {
    const rotate = button("Rotate", () => startRotate(), {
      testId: "rotate",
      label: `Rotate ${quoted}`,
    });
    buttons.push(rotate);
  }

  function startRotate(): void {
    const select = el("select", { testId: "rotate-overlap" });
    for (const [seconds, text] of OVERLAPS) {
      select.append(el("option", { text, attrs: { value: String(seconds) } }));
    }
    const cancel = () => {
      bar.replaceChildren(...buttons);
      bar.querySelector<HTMLElement>('[data-testid="rotate"]')?.focus();
    };
    const form = el(
      "form",
      { className: "inline" },
      el("label", { text: "The old key " }, select),
      button("Rotate now", () => undefined, {
        type: "submit",
        testId: "rotate-confirm",
        label: `Rotate ${quoted} now`,
      }),
      button("Cancel", cancel, { testId: "rotate-cancel" }),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const overlap = Number(select.value);
      act(async () => {
        const created = await table.keys().rotate(key.id, overlap);
        const items = await render(table);
        const old = items.find((item) => item.id === key.id);
        const end =
          overlap === 0 || !old?.expiresAt
            ? "the old key no longer works"
            : `the old key works until ${when(old.expiresAt)} UTC`;
        showCreated(created, `Rotated ${quoted}: ${end}.`);
      });
    });
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        cancel();
      }
    });
    bar.replaceChildren(form);
    select.focus();
  }

  const remove = button(
    "Delete",
    () => {
      if (window.confirm(`Delete the ${quoted}? It stops working at once.`)) {
        act(async () => {
          await table.keys().remove(key.id);
          notice(`Deleted ${quoted}.`);
          await render(table, { keyId: key.id, testId: "delete" });
        });
      }
    },
    { testId: "delete", label: `Delete ${quoted}` },
  );
  buttons.push(remove);
  bar.append(...buttons);

  const row = el(
    "tr",
    {},
    nameCell,
    cell("Scopes", el("span", { text: key.scopes.join(" ") || "none", testId: "key-scopes" })),
    cell(
      "Usage",
      el("span", {
        text: creditsText(key.credits),
        testId: "key-credits",
        className: exhausted(key.credits) ? "credits-out" : "credits",
      }),
    ),
    cell("Created (UTC)", el("span", { text: when(key.createdAt), className: "date" })),
    cell("Last used (UTC)", el("span", { text: when(key.lastUsedAt), className: "date" })),
    cell("Expires (UTC)", el("span", { text: when(key.expiresAt), className: "date" })),
    cell(
      "Status",
      el(
        "span",
        { className: `status-${rotatedOut ? "rotated" : key.status}`, testId: "key-status" },
        ...statusOf(key),
      ),
    ),
    actionsCell,
  );
  row.dataset.keyId = key.id;
  return row;
}

const ownTable: KeyTable = {
  bodyId: "keys",
  titleId: "own-title",
  keys: () => api.own,
  admin: false,
  empty: "No keys yet: create one above.",
};

const teamTable: KeyTable = {
  bodyId: "team-keys",
  titleId: "team-title",
  keys: () => api.team,
  admin: false,
  empty: "Your team has no keys yet: create one above, for your team.",
};

const adminTable: KeyTable = {
  bodyId: "admin-keys",
  titleId: "admin-title",
  keys: () => api.of(byId<HTMLSelectElement>("admin-user").value),
  admin: true,
  empty: "This owner has no keys.",
};

function updateScopeHint(): void {
  const chosen = document.querySelectorAll("#scope-choices input:checked").length;
  byId("scope-hint").textContent =
    chosen === 0
      ? "No scope chosen: the key will authenticate, but pass no scope check (no /api/reports)."
      : "";
}

function renderScopeChoices(scopes: string[]): void {
  const box = byId("scope-choices");
  box.replaceChildren(el("legend", { text: "Scopes (at most your own)" }));
  for (const scope of scopes) {
    const input = el("input", { attrs: { type: "checkbox", name: "scope", value: scope } });
    // defaultChecked, not checked: form.reset() after a create restores the default.
    input.defaultChecked = scope !== "keys:write";
    input.addEventListener("change", updateScopeHint);
    box.append(el("label", {}, input, document.createTextNode(scope)));
  }
  updateScopeHint();
}

async function showKeys(): Promise<void> {
  if (!me) return;
  byId("login-view").hidden = true;
  byId("keys-view").hidden = false;
  byId("session").hidden = false;
  byId("who").textContent = `${me.id}${me.roles.length ? ` (${me.roles.join(", ")})` : ""}`;
  renderScopeChoices(me.scopes);
  byId("owner-choice").hidden = team === null;
  byId("team-view").hidden = team === null;
  if (team !== null) {
    byId("team-name").textContent = `your team (${team})`;
    byId("team-owner").textContent = `(${team})`;
  }
  await render(ownTable);
  if (team !== null) await render(teamTable);
  const admin = me.roles.includes("admin");
  byId("admin-view").hidden = !admin;
  if (admin) {
    const { users } = await api.users();
    byId("admin-user").replaceChildren(...users.map((user) => el("option", { text: user })));
    await render(adminTable);
  }
}

function showLogin(message = ""): void {
  me = null;
  team = null;
  byId("login-view").hidden = false;
  byId("keys-view").hidden = true;
  byId("session").hidden = true;
  hideCreated();
  notice(message);
}

function hideCreated(): void {
  byId("created").hidden = true;
  byId<HTMLInputElement>("created-key").value = "";
}

function wire(): void {
  for (const head of document.querySelectorAll("thead.key-columns")) {
    const cells = COLUMNS.map((text) => el("th", { text, attrs: { scope: "col" } }));
    head.replaceChildren(el("tr", {}, ...cells));
  }
  byId<HTMLFormElement>("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    act(async () => {
      try {
        await api.login(field(form, "username"), field(form, "password"));
      } catch (error) {
        if (error instanceof ApiError && error.status < 500) {
          notice("Wrong username or password.", true);
          return;
        }
        throw error;
      }
      ({ user: me, team } = await api.session());
      await showKeys();
      notice(`Signed in as ${me?.id ?? "nobody"}.`);
      byId("create-title").focus();
    });
  });

  byId<HTMLFormElement>("create-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    const days = field(form, "expires");
    const expiresAt = days === "" ? null : new Date(Date.now() + Number(days) * 86_400_000);
    const forTeam = field(form, "owner") === "team";
    const scopes = form.getAll("scope").filter((v): v is string => typeof v === "string");
    act(async () => {
      const keys = forTeam ? api.team : api.own;
      const created = await keys.create(
        field(form, "name"),
        scopes,
        expiresAt?.toISOString() ?? null,
      );
      formElement.reset();
      updateScopeHint();
      await render(forTeam ? teamTable : ownTable);
      const whose = forTeam ? ` for ${team}` : "";
      const bare = scopes.length === 0 ? " It has no scopes." : "";
      showCreated(created, `Key “${created.record.name}” created${whose}.${bare}`);
    });
  });

  byId("copy").addEventListener("click", () => {
    const input = byId<HTMLInputElement>("created-key");
    navigator.clipboard.writeText(input.value).then(
      () => notice("Key copied to the clipboard."),
      () => {
        input.focus();
        input.select();
        notice(
          "The browser refused the clipboard: the key is selected, copy it with Ctrl+C.",
          true,
        );
      },
    );
  });
  byId("dismiss").addEventListener("click", () => {
    hideCreated();
    byId("create-title").focus();
  });
  byId("logout").addEventListener("click", () =>
    act(async () => {
      await api.logout();
      showLogin("Logged out.");
      byId("username").focus();
    }),
  );
  byId("admin-user").addEventListener("change", () =>
    act(async () => void (await render(adminTable))),
  );
}

wire();
act(async () => {
  ({ user: me, team } = await api.session());
  if (me === null) showLogin();
  else await showKeys();
});
