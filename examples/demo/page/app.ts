/**
 * The key-management page: log in, list, create (shown once), rename, disable/enable,
 * rotate and delete keys; an admin also sees any user's keys. Plain DOM, no framework:
 * the point is to show the key routes, the cookie and the CSRF rule at work in a browser.
 */
import { ApiError, api } from "./api.js";
import type { Created, KeyView, Me } from "./api.js";
import { button, byId, el, when } from "./dom.js";

let me: Me | null = null;

function notice(text: string, isError = false): void {
  const box = byId("notice");
  box.textContent = text;
  box.classList.toggle("error", isError);
  box.hidden = text === "";
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

function showCreated(created: Created, note: string): void {
  byId("created-key").textContent = created.key;
  byId("created").hidden = false;
  notice(note);
}

/** The calls behind one table's row buttons: your own keys, or (admin) another user's. */
interface KeyCalls {
  update: (id: string, patch: { name?: string; enabled?: boolean }) => Promise<unknown>;
  remove: (id: string) => Promise<unknown>;
  /** Only for your own keys: rotation is not one of the admin routes. */
  rotate?: (id: string) => Promise<Created>;
  /** Redraws the table after a change. */
  reload: () => Promise<void>;
  /** Whether these are the admin routes (which may undo an admin's disable). */
  admin?: boolean;
}

/** The columns of both key tables, in the order {@link keyRow} fills them. */
const COLUMNS = ["Name", "Key", "Scopes", "Created", "Last used", "Expires", "Status", ""];

/** A text field of a submitted form ("" when absent). */
function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
}

function keyRow(key: KeyView, calls: KeyCalls): HTMLTableRowElement {
  const { status } = key;
  // A rotated key was replaced for good, and an admin's disable is undone only by an admin:
  // offer no button the server would refuse.
  const canToggle =
    status !== "rotated" && !(key.disabledBy === "admin" && !calls.admin && !key.enabled);
  const nameCell = el("td", { text: key.name, testId: "key-name" });
  const actionsCell = el("td", { className: "actions" });
  /** Runs a change, then redraws the table. */
  const change = (work: () => Promise<unknown>) =>
    act(async () => {
      await work();
      await calls.reload();
    });

  const rename = button(
    "Rename",
    () => {
      const input = el("input");
      input.value = key.name;
      input.dataset.testid = "rename-input";
      const save = button(
        "Save",
        () => change(() => calls.update(key.id, { name: input.value })),
        "rename-save",
      );
      nameCell.replaceChildren(input, save);
      input.focus();
    },
    "rename",
  );
  const toggle = button(
    key.enabled ? "Disable" : "Enable",
    () =>
      change(async () => {
        await calls.update(key.id, { enabled: !key.enabled });
        notice(`Key "${key.name}" ${key.enabled ? "disabled" : "enabled"}.`);
      }),
    key.enabled ? "disable" : "enable",
  );
  const remove = button(
    "Delete",
    () => {
      if (window.confirm(`Delete the key "${key.name}"? It stops working at once.`)) {
        change(async () => {
          await calls.remove(key.id);
          notice(`Key "${key.name}" deleted.`);
        });
      }
    },
    "delete",
  );
  actionsCell.append(rename);
  if (canToggle) actionsCell.append(toggle);
  const { rotate } = calls;
  if (rotate && status !== "rotated") {
    const rotateButton = button(
      "Rotate",
      () =>
        change(async () => {
          const created = await rotate(key.id);
          showCreated(created, `Key "${key.name}" rotated: the old key no longer works.`);
        }),
      "rotate",
    );
    actionsCell.append(rotateButton);
  }
  actionsCell.append(remove);

  const row = el(
    "tr",
    {},
    nameCell,
    el("td", {}, el("code", { text: `${key.prefix}_${key.id}_…` })),
    el("td", {
      text: key.scopes.length > 0 ? key.scopes.join(" ") : "—",
      testId: "key-scopes",
    }),
    el("td", { text: when(key.createdAt) }),
    el("td", { text: when(key.lastUsedAt) }),
    el("td", { text: when(key.expiresAt) }),
    el("td", {
      text: key.disabledBy === "admin" && !key.enabled ? "disabled by admin" : status,
      className: `status-${status}`,
      testId: "key-status",
    }),
    actionsCell,
  );
  row.dataset.keyId = key.id;
  return row;
}

const ownKeys: KeyCalls = {
  update: (id, patch) => api.update(id, patch),
  remove: (id) => api.remove(id),
  rotate: (id) => api.rotate(id),
  reload: () => refresh(),
};

async function refresh(): Promise<void> {
  const { items } = await api.list();
  byId("keys").replaceChildren(...items.map((key) => keyRow(key, ownKeys)));
  if (items.length === 0) {
    byId("keys").append(el("tr", {}, el("td", { text: "No keys yet." })));
  }
}

async function refreshAdmin(): Promise<void> {
  const userId = byId<HTMLSelectElement>("admin-user").value;
  if (userId === "") return;
  const { items } = await api.listOf(userId);
  const calls: KeyCalls = {
    update: (id, patch) => api.updateOf(userId, id, patch),
    remove: (id) => api.removeOf(userId, id),
    reload: () => refreshAdmin(),
    admin: true,
  };
  byId("admin-keys").replaceChildren(...items.map((key) => keyRow(key, calls)));
}

function renderScopeChoices(scopes: string[]): void {
  const box = byId("scope-choices");
  box.replaceChildren(el("legend", { text: "Scopes (at most your own)" }));
  for (const scope of scopes) {
    const input = el("input");
    input.type = "checkbox";
    input.name = "scope";
    input.value = scope;
    // defaultChecked, not checked: form.reset() after a create restores the default.
    input.defaultChecked = scope !== "keys:write";
    box.append(el("label", {}, input, document.createTextNode(scope)));
  }
}

async function showKeys(): Promise<void> {
  if (!me) return;
  byId("login-view").hidden = true;
  byId("keys-view").hidden = false;
  byId("session").hidden = false;
  byId("who").textContent = `${me.id}${me.roles.length ? ` (${me.roles.join(", ")})` : ""}`;
  renderScopeChoices(me.scopes);
  await refresh();
  const admin = me.roles.includes("admin");
  byId("admin-view").hidden = !admin;
  if (admin) {
    const { users } = await api.users();
    byId("admin-user").replaceChildren(...users.map((user) => el("option", { text: user })));
    await refreshAdmin();
  }
}

function showLogin(message = ""): void {
  me = null;
  byId("login-view").hidden = false;
  byId("keys-view").hidden = true;
  byId("session").hidden = true;
  byId("created").hidden = true;
  notice(message);
}

function wire(): void {
  for (const head of document.querySelectorAll("thead.key-columns")) {
    head.replaceChildren(el("tr", {}, ...COLUMNS.map((text) => el("th", { text }))));
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
      me = await api.me();
      notice("");
      await showKeys();
    });
  });

  byId<HTMLFormElement>("create-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    const days = field(form, "expires");
    const expiresAt = days === "" ? null : new Date(Date.now() + Number(days) * 86_400_000);
    act(async () => {
      const created = await api.create(
        field(form, "name"),
        form.getAll("scope").filter((v): v is string => typeof v === "string"),
        expiresAt?.toISOString() ?? null,
      );
      formElement.reset();
      showCreated(created, `Key "${created.record.name}" created.`);
      await refresh();
    });
  });

  byId("copy").addEventListener("click", () => {
    const key = byId("created-key").textContent ?? "";
    act(async () => {
      await navigator.clipboard.writeText(key);
      notice("Copied to the clipboard.");
    });
  });
  byId("dismiss").addEventListener("click", () => {
    byId("created").hidden = true;
    byId("created-key").textContent = "";
  });
  byId("logout").addEventListener("click", () =>
    act(async () => {
      await api.logout();
      showLogin("Logged out.");
    }),
  );
  byId("admin-user").addEventListener("change", () => act(refreshAdmin));
}

wire();
act(async () => {
  try {
    me = await api.me();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      showLogin();
      return;
    }
    throw error;
  }
  await showKeys();
});
