/**
 * The key-management page in a real browser (Debian's Chromium, driven by playwright-core),
 * used as a person would: log in with the password grant (cookie), create a key, call a
 * protected route with it, revoke it, rename by keyboard, rotate with an overlap, team keys,
 * the admin view; with the accessible names, the focus and the live region checked on the
 * way, and the layout at 320, 390, 640 (1280 at 200% zoom), 1024 and 1280 px without
 * sideways scrolling. In each state the page reaches (signed out, keys listed, a new key
 * shown, rename and rotate open, after a rotation, team keys, a metered key's usage and the
 * key out of credits, the admin table, empty tables) axe-core runs at 390 and 1280 px and
 * may find nothing serious or critical.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { AxeResults, ImpactValue } from "axe-core";
import { chromium } from "playwright-core";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuild } from "./ensure-build.js";
import { startDemo } from "./demo-process.js";
import type { RunningDemo } from "./demo-process.js";

const CHROMIUM = process.env.GATEHOUSE_CHROMIUM ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  if (process.env.CI)
    throw new Error(`${CHROMIUM} is missing (CI=true: the browser test must run)`);
  console.warn(
    `[gatehouse] browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`,
  );
}

/** Calls a route from inside the page with an API key, without the page's cookie. */
function callWithKey(
  page: Page,
  key: string,
  path = "/api/me",
): Promise<{ status: number; id?: string; via?: string }> {
  return page.evaluate(
    async ([apiKey, route]) => {
      const response = await fetch(route!, {
        headers: { "x-api-key": apiKey! },
        credentials: "omit",
      });
      const body = (await response.json()) as { id?: string; via?: string };
      return { status: response.status, id: body.id, via: body.via };
    },
    [key, path],
  );
}

/** `<prefix>_<id>_<secret+checksum>`, whatever the deployment's prefix. */
const KEY_SHAPE = /^[a-z][a-z0-9]{0,15}_[0-9A-Za-z]{16}_[0-9A-Za-z]{38}$/;

/** The id of the element that has the keyboard focus. */
function focusedTestId(page: Page): Promise<string | null> {
  return page.evaluate(
    () =>
      (document.activeElement as HTMLElement | null)?.dataset.testid ??
      document.activeElement?.id ??
      null,
  );
}

/** Creates a key on the page and returns the plaintext it shows once. */
async function createKey(page: Page, name: string, owner: "own" | "team" = "own") {
  const shown = page.getByTestId("created-key");
  const before = await shown.inputValue();
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page
    .getByRole("radio", owner === "team" ? { name: /your team/ } : { name: "you", exact: true })
    .check();
  await page.getByRole("button", { name: "Create key" }).click();
  await expect.poll(() => shown.inputValue()).not.toBe(before);
  const key = await shown.inputValue();
  expect(key).toMatch(KEY_SHAPE);
  // The keyboard is on the secret, selected, ready to copy.
  expect(await focusedTestId(page)).toBe("created-key");
  expect(
    await page.evaluate(() => {
      const input = document.activeElement as HTMLInputElement;
      return input.value.slice(input.selectionStart ?? 0, input.selectionEnd ?? 0);
    }),
  ).toBe(key);
  return key;
}

/** Whether every button of a table has an accessible name of its own (Chromium's tree). */
async function uniqueButtonNames(page: Page, table: string): Promise<boolean> {
  const tree = await page.getByTestId(table).ariaSnapshot();
  const names = [...tree.matchAll(/- button "([^"]+)"/g)].map((m) => m[1]);
  expect(names.length).toBeGreaterThan(0);
  return new Set(names).size === names.length;
}

/** The live region's text, once it settles. */
function noticeText(page: Page): Promise<string> {
  return page.getByRole("status").innerText();
}

/**
 * Whether the page scrolls sideways at this width, and which elements stick out (for the
 * failure message).
 */
async function sideways(page: Page, width: number): Promise<{ scrolls: boolean; wide: string[] }> {
  await page.setViewportSize({ width, height: 900 });
  return page.evaluate(() => {
    const limit = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll<HTMLElement>("body *")]
      .filter((e) => e.getClientRects().length > 0 && e.getBoundingClientRect().right > limit + 1)
      .map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ""}.${e.className}`);
    return { scrolls: document.documentElement.scrollWidth > limit, wide: wide.slice(0, 5) };
  });
}

/** axe-core's browser build, put into the page as a script of its own. */
const AXE_SOURCE = readFileSync(
  join(dirname(createRequire(import.meta.url).resolve("axe-core")), "axe.min.js"),
  "utf8",
);

/** One axe finding, cut down to what a failure message needs. */
interface Violation {
  id: string;
  impact: ImpactValue | undefined;
  help: string;
  nodes: { target: string; summary: string }[];
}

/** Runs axe-core on the whole page as it is now: what it found, and how many rules passed. */
async function axeRun(page: Page): Promise<{ violations: Violation[]; passed: number }> {
  // A reload drops the script, so it is put in again whenever it is not there.
  if (!(await page.evaluate(() => "axe" in window))) {
    await page.addScriptTag({ content: AXE_SOURCE });
  }
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document): Promise<AxeResults> } }).axe;
    const results = await axe.run(document);
    const violations = results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({
        target: n.target.join(" "),
        summary: n.failureSummary ?? "",
      })),
    }));
    return { violations, passed: results.passes.length };
  });
}

function describeViolations(found: Violation[]): string {
  return found
    .map(
      (v) =>
        `\n  [${v.impact}] ${v.id}: ${v.help}` +
        v.nodes.map((n) => `\n    ${n.target}: ${n.summary.replace(/\n/g, " ")}`).join(""),
    )
    .join("");
}

/**
 * The page in its current state at 390 and 1280 px: no sideways scroll, and no serious or
 * critical axe-core violation. It leaves the viewport at 1280 px.
 */
async function checkState(page: Page, state: string): Promise<void> {
  for (const width of [390, 1280]) {
    const { scrolls, wide } = await sideways(page, width);
    expect(scrolls, `${state}, ${width} px: sideways scroll; too wide: ${wide.join(", ")}`).toBe(
      false,
    );
    const { violations, passed } = await axeRun(page);
    // A script that failed to load would find nothing; a run that passed no rule proves that.
    expect(passed, `${state}, ${width} px: axe-core checked nothing`).toBeGreaterThan(0);
    const found = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(found, `${state}, ${width} px: axe-core found${describeViolations(found)}`).toEqual([]);
  }
}

async function logIn(page: Page, demo: RunningDemo, user: "demo" | "admin") {
  const variable = user === "demo" ? "PASSWORD" : "ADMIN_PASSWORD";
  const password = new RegExp(`^${variable}='(.+)'$`, "m").exec(demo.shell.join("\n"))?.[1];
  expect(password).toBeTruthy();
  await page.getByLabel("Username").fill(user);
  await page.getByLabel("Password").fill(password!);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect
    .poll(() => page.getByTestId("who").textContent())
    .toBe(user === "admin" ? "admin (admin)" : "demo");
}

describe.skipIf(!haveChromium)("the key-management page in Chromium", () => {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-browser-"));
  let demo: RunningDemo;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Failed requests and console errors, as a person with the developer tools open sees them. */
  const noise: string[] = [];

  beforeAll(async () => {
    await ensureBuild();
    demo = await startDemo({ dataDir: join(dir, "data"), cwd: dir });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Without the background-networking flags Chromium keeps dialling Google's hosts,
      // which this machine's closed network refuses.
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    context = await browser.newContext({
      permissions: ["clipboard-read", "clipboard-write"],
      viewport: { width: 1280, height: 900 },
    });
    page = await context.newPage();
    page.on("dialog", (dialog) => void dialog.accept());
    page.on("console", (message) => {
      if (message.type() === "error") noise.push(`console: ${message.text()}`);
    });
    page.on("response", (response) => {
      if (response.status() >= 400) noise.push(`${response.status()} ${response.url()}`);
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("loads without a failed request or a console error, every control labelled", async () => {
    await page.goto(`${demo.baseUrl}/`);
    await expect.poll(() => page.locator("#login-view").isVisible()).toBe(true);
    expect(noise).toEqual([]);
    for (const label of ["Username", "Password"]) {
      expect(await page.getByLabel(label).count(), label).toBe(1);
    }
    // The live region is in the page before anything is said in it.
    expect(await page.getByRole("status").count()).toBe(1);
    await checkState(page, "signed out: the login form");
  });

  it("logs in, creates a key that works, revokes it, and the key fails", async () => {
    await logIn(page, demo, "demo");
    // The token is in an HttpOnly cookie: the page's own script cannot read it.
    expect(await page.evaluate(() => document.cookie)).not.toContain("access_token");
    await expect.poll(() => noticeText(page)).toBe("Signed in as demo.");

    const key = await createKey(page, "from the browser");
    expect(await page.getByTestId("created").textContent()).toMatch(/cannot be shown again/);
    await expect.poll(() => noticeText(page)).toBe("Key “from the browser” created.");
    await page.getByRole("button", { name: "Copy key" }).click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    await expect.poll(() => noticeText(page)).toBe("Key copied to the clipboard.");
    const id = key.split("_")[1]!;
    const row = page.locator(`tr[data-key-id="${id}"]`);
    await expect.poll(() => row.getByTestId("key-name").textContent()).toBe("from the browser");
    expect(await row.getByTestId("key-scopes").textContent()).toBe("reports:read");
    await checkState(page, "signed in: keys listed, a new key shown once");

    // Each row's buttons are told apart by the key's name, not only "Delete".
    const remove = page.getByRole("button", { name: "Delete key “from the browser”" });
    expect(await remove.count()).toBe(1);
    const names = await page
      .getByTestId("keys-table")
      .getByRole("button")
      .evaluateAll((all) => all.map((b) => b.getAttribute("aria-label") ?? b.textContent));
    expect(new Set(names).size).toBe(names.length);

    expect(await callWithKey(page, key)).toMatchObject({ status: 200, via: "apiKey" });
    await remove.click();
    await expect.poll(() => row.count()).toBe(0);
    await expect.poll(() => noticeText(page)).toBe("Deleted key “from the browser”.");
    expect((await callWithKey(page, key)).status).toBe(401);
    // The focus does not fall to the top of the page with the row: it lands on the heading.
    expect(await focusedTestId(page)).toBe("own-title");

    await page.getByTestId("dismiss").click();
    expect(await page.getByTestId("created").isVisible()).toBe(false);
    expect(await page.getByTestId("created-key").inputValue()).toBe("");
  });

  it("warns before a key with no scopes is made", async () => {
    const hint = page.getByTestId("scope-hint");
    expect(await hint.isVisible()).toBe(false);
    await page.getByRole("checkbox", { name: "reports:read" }).uncheck();
    await expect.poll(() => hint.textContent()).toMatch(/No scope chosen/);
    await checkState(page, "the no-scope hint shown");
    const key = await createKey(page, "no scopes");
    await expect.poll(() => noticeText(page)).toMatch(/It has no scopes\./);
    expect((await callWithKey(page, key, "/api/reports")).status).toBe(403);
    // The form is back to its defaults, and so is the hint.
    expect(await page.getByRole("checkbox", { name: "reports:read" }).isChecked()).toBe(true);
    expect(await hint.isVisible()).toBe(false);
  });

  it("renames by keyboard: Enter saves, Escape cancels, the focus comes back", async () => {
    const key = await createKey(page, "to change");
    const row = page.locator(`tr[data-key-id="${key.split("_")[1]}"]`);

    await page.getByRole("button", { name: "Rename key “to change”" }).focus();
    await page.keyboard.press("Enter");
    const input = page.getByRole("textbox", { name: "New name for key “to change”" });
    expect(await focusedTestId(page)).toBe("rename-input");
    await checkState(page, "a rename form open");
    expect(await focusedTestId(page)).toBe("rename-input");
    await input.fill("not this");
    await page.keyboard.press("Escape");
    expect(await row.getByTestId("key-name").textContent()).toBe("to change");
    expect(await focusedTestId(page)).toBe("rename");

    await page.keyboard.press("Enter");
    await input.fill("renamed");
    await page.keyboard.press("Enter");
    await expect.poll(() => row.getByTestId("key-name").textContent()).toBe("renamed");
    await expect.poll(() => noticeText(page)).toBe("Renamed key “to change” to “renamed”.");
    expect(await focusedTestId(page)).toBe("rename");

    await page.getByRole("button", { name: "Rename key “renamed”" }).click();
    await page.getByRole("button", { name: "Cancel" }).click();
    expect(await row.getByTestId("key-name").textContent()).toBe("renamed");
  });

  it("disables and enables a key, and rotates it with an overlap, then at once", async () => {
    const key = await createKey(page, "to rotate");
    const row = page.locator(`tr[data-key-id="${key.split("_")[1]}"]`);

    await row.getByTestId("disable").click();
    await expect.poll(() => row.getByTestId("key-status").textContent()).toBe("disabled");
    expect((await callWithKey(page, key)).status).toBe(401);
    await row.getByTestId("enable").click();
    await expect.poll(() => row.getByTestId("key-status").textContent()).toBe("active");
    expect(await focusedTestId(page)).toBe("disable");
    expect((await callWithKey(page, key)).status).toBe(200);

    // Rotate with an hour's overlap, by keyboard: the old key keeps working, shown as rotated.
    await page.getByRole("button", { name: "Rotate key “to rotate”" }).click();
    const overlap = page.getByRole("combobox", { name: "The old key" });
    expect(await focusedTestId(page)).toBe("rotate-overlap");
    await checkState(page, "a rotate form open");
    await overlap.selectOption("3600");
    await page.getByRole("button", { name: "Rotate key “to rotate” now" }).press("Enter");
    const shown = page.getByTestId("created-key");
    await expect.poll(() => shown.inputValue()).not.toBe(key);
    const rotated = await shown.inputValue();
    expect(await focusedTestId(page)).toBe("created-key");
    await expect
      .poll(() => noticeText(page))
      .toMatch(/^Rotated key “to rotate”: the old key works until .+ UTC\.$/);
    expect((await callWithKey(page, rotated)).status).toBe(200);
    expect((await callWithKey(page, key)).status).toBe(200);
    await expect
      .poll(() => row.getByTestId("key-status").textContent())
      .toMatch(/^rotated; works until \d{4}-\d\d-\d\d \d\d:\d\d$/);
    await checkState(page, "after a rotation: the new key shown, the old one rotated");
    // Superseded for good: nothing would bring it back or rotate it again.
    expect(await row.getByTestId("enable").count()).toBe(0);
    expect(await row.getByTestId("rotate").count()).toBe(0);
    // Old and new share the name; their buttons are still told apart.
    expect(await page.getByRole("button", { name: "Delete rotated key “to rotate”" }).count()).toBe(
      1,
    );
    expect(
      await page.getByRole("button", { name: "Delete key “to rotate”", exact: true }).count(),
    ).toBe(1);
    expect(await uniqueButtonNames(page, "keys-table")).toBe(true);

    // The new key, rotated at once: the key it replaced stops now.
    const newRow = page.locator(`tr[data-key-id="${rotated.split("_")[1]}"]`);
    await newRow.getByTestId("rotate").click();
    await page.getByRole("button", { name: "Rotate key “to rotate” now" }).click();
    await expect.poll(() => shown.inputValue()).not.toBe(rotated);
    await expect.poll(() => noticeText(page)).toMatch(/the old key no longer works\.$/);
    expect((await callWithKey(page, rotated)).status).toBe(401);
    await expect.poll(() => newRow.getByTestId("key-status").textContent()).toBe("rotated");
    expect(await newRow.getByTestId("enable").count()).toBe(0);
    expect(await newRow.getByTestId("disable").count()).toBe(0);
    expect(await newRow.getByTestId("rotate").count()).toBe(0);

    // Escape closes the rotate form without rotating.
    const latest = await shown.inputValue();
    const latestRow = page.locator(`tr[data-key-id="${latest.split("_")[1]}"]`);
    await latestRow.getByTestId("rotate").click();
    await page.keyboard.press("Escape");
    expect(await focusedTestId(page)).toBe("rotate");
    expect(await shown.inputValue()).toBe(latest);
  });

  it("makes team keys that every member manages and that act as the team", async () => {
    const key = await createKey(page, "team deploy", "team");
    await expect.poll(() => noticeText(page)).toBe("Key “team deploy” created for team:demo.");
    const teamTable = page.getByTestId("team-table");
    await expect
      .poll(() => teamTable.getByTestId("key-name").allTextContents())
      .toContain("team deploy");
    expect(
      await page.getByTestId("keys-table").getByTestId("key-name").allTextContents(),
    ).not.toContain("team deploy");
    expect(await callWithKey(page, key)).toMatchObject({ status: 200, id: "team:demo" });
    await checkState(page, "team keys listed");
  });

  it("shows each key's usage credits, spent by its requests, and a key that is out", async () => {
    const metered = /^METERED_KEY='(.+)'$/m.exec(demo.shell.join("\n"))?.[1];
    expect(metered).toMatch(KEY_SHAPE);
    const row = page.locator(`tr[data-key-id="${metered!.split("_")[1]}"]`);
    const credits = row.getByTestId("key-credits");
    await expect.poll(() => credits.textContent()).toBe("100 of 100 requests left, refills daily");
    // Keys made without credits cost nothing per request, and say so.
    const others = await page
      .getByTestId("keys-table")
      .locator(`tr:not([data-key-id="${metered!.split("_")[1]}"]) [data-testid="key-credits"]`)
      .allTextContents();
    expect(others.length).toBeGreaterThan(0);
    expect(new Set(others)).toEqual(new Set(["unmetered"]));

    // Each request with the key spends one credit; the page reads what is left.
    expect(await callWithKey(page, metered!)).toMatchObject({ status: 200, via: "apiKey" });
    expect((await callWithKey(page, metered!, "/api/reports")).status).toBe(200);
    await page.reload();
    await expect.poll(() => credits.textContent()).toBe("98 of 100 requests left, refills daily");
    // The cell is named by its column for a screen reader, not only by its look.
    expect(
      await page
        .getByTestId("keys-table")
        .getByRole("cell", { name: "98 of 100 requests left, refills daily" })
        .count(),
    ).toBe(1);
    expect(await row.getByTestId("key-credits").getAttribute("class")).toBe("credits");
    await checkState(page, "usage credits shown");

    // Spent to the last credit, the key is refused with 429 usage_exceeded, until the refill.
    const spent = await page.evaluate(async (apiKey) => {
      const statuses: number[] = [];
      for (let i = 0; i < 99; i++) {
        const response = await fetch("/api/me", {
          headers: { "x-api-key": apiKey },
          credentials: "omit",
        });
        const body = (await response.json()) as { code?: string };
        statuses.push(response.status);
        if (response.status !== 200) return { statuses, code: body.code };
      }
      return { statuses, code: undefined };
    }, metered!);
    expect(spent.statuses.slice(0, 98).every((status) => status === 200)).toBe(true);
    expect(spent.statuses[98]).toBe(429);
    expect(spent.code).toBe("usage_exceeded");
    await page.reload();
    await expect.poll(() => credits.textContent()).toBe("0 of 100 requests left, refills daily");
    expect(await credits.getAttribute("class")).toBe("credits-out");
    await checkState(page, "a key out of credits");
  });

  it("holds its layout at 320, 390, 640 (1280 at 200% zoom), 1024 and 1280 px", async () => {
    // The widest a row gets: a rename box open in it.
    await page.getByRole("button", { name: "Rename key “renamed”" }).click();
    for (const width of [320, 390, 640, 1024, 1280]) {
      const { scrolls, wide } = await sideways(page, width);
      expect(scrolls, `${width} px: sideways scroll; too wide: ${wide.join(", ")}`).toBe(false);
    }
    await page.keyboard.press("Escape");
    // At 1280 px each date stays on one line.
    await page.setViewportSize({ width: 1280, height: 900 });
    const lines = await page
      .locator("#keys .date")
      .evaluateAll((dates) => dates.map((d) => d.getClientRects().length));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((n) => n === 1)).toBe(true);
  });

  it("shows an admin any owner's keys, with an empty state, and loads without noise", async () => {
    await page.getByTestId("logout").click();
    await expect.poll(() => page.locator("#login-view").isVisible()).toBe(true);
    expect(await focusedTestId(page)).toBe("username");
    await logIn(page, demo, "admin");
    // The admin is in the team too: the same team keys.
    await expect
      .poll(() => page.getByTestId("team-table").getByTestId("key-name").allTextContents())
      .toContain("team deploy");
    await page.getByLabel("Owner").selectOption("demo");
    await expect
      .poll(() => page.getByTestId("admin-table").getByTestId("key-name").allTextContents())
      .toContain("renamed");
    await checkState(page, "the admin table");
    await page.getByLabel("Owner").selectOption("admin");
    await expect
      .poll(() => page.getByTestId("admin-table").locator("td.empty").textContent())
      .toBe("This owner has no keys.");
    // The admin has no keys of their own either: two empty tables.
    expect(await page.getByTestId("keys-table").locator("td.empty").textContent()).toBe(
      "No keys yet: create one above.",
    );
    await checkState(page, "empty states: the admin's own keys and the admin table");

    noise.length = 0;
    await page.reload();
    await expect.poll(() => page.getByTestId("who").textContent()).toBe("admin (admin)");
    expect(noise).toEqual([]);
    for (const width of [320, 1280]) {
      const { scrolls, wide } = await sideways(page, width);
      expect(scrolls, `admin view, ${width} px: ${wide.join(", ")}`).toBe(false);
    }
  });

  it("has an axe-core check that finds what it is there to find", async () => {
    // A page with the faults the demo must not have: were the script not injected or the
    // run not looked at, the checks above would pass on anything.
    const scratch = await context.newPage();
    try {
      await scratch.setContent(
        `<!doctype html><html lang="en"><head><title>faults</title></head><body><main>
          <h1>faults</h1>
          <p style="color:#bbb;background:#fff">pale text</p>
          <input type="text" />
          <button type="button"></button>
        </main></body></html>`,
      );
      const { violations } = await axeRun(scratch);
      const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      expect(serious.map((v) => v.id).sort()).toEqual(["button-name", "color-contrast", "label"]);
      expect(describeViolations(serious)).toMatch(/\[critical\] button-name: .+\n {4}button: /);
    } finally {
      await scratch.close();
    }
  });
});
