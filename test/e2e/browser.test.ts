/**
 * The key-management page in a real browser (Debian's Chromium, driven by playwright-core):
 * log in with the password grant (cookie), create a key, call a protected route with it,
 * revoke it on the page, and see the same call refused.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import type { Browser, Page } from "playwright-core";
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
function callWithKey(page: Page, key: string): Promise<{ status: number; via?: string }> {
  return page.evaluate(async (apiKey) => {
    const response = await fetch("/api/me", {
      headers: { "x-api-key": apiKey },
      credentials: "omit",
    });
    const body = (await response.json()) as { via?: string };
    return { status: response.status, via: body.via };
  }, key);
}

const KEY_SHAPE = /^gh_[0-9A-Za-z]{16}_[0-9A-Za-z]{38}$/;

/** Creates a key on the page and returns the plaintext it shows once. */
async function createKey(page: Page, name: string): Promise<string> {
  const shown = page.getByTestId("created-key");
  const before = (await shown.textContent()) ?? "";
  await page.locator("#create-form input[name=name]").fill(name);
  await page.locator("#create-form button[type=submit]").click();
  await expect.poll(() => shown.textContent()).not.toBe(before);
  const key = (await shown.textContent()) ?? "";
  expect(key).toMatch(KEY_SHAPE);
  return key;
}

describe.skipIf(!haveChromium)("the key-management page in Chromium", () => {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-browser-"));
  let demo: RunningDemo;
  let browser: Browser;
  let page: Page;

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
    const context = await browser.newContext({
      permissions: ["clipboard-read", "clipboard-write"],
    });
    page = await context.newPage();
    page.on("dialog", (dialog) => void dialog.accept());
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("logs in, creates a key that works, revokes it, and the key fails", async () => {
    const password = /^PASSWORD='(.+)'$/m.exec(demo.shell.join("\n"))?.[1];
    expect(password).toBeTruthy();

    await page.goto(`${demo.baseUrl}/`);
    await page.locator("#login-form input[name=username]").fill("demo");
    await page.locator("#login-form input[name=password]").fill(password!);
    await page.locator("#login-form button[type=submit]").click();
    await expect.poll(() => page.getByTestId("who").textContent()).toBe("demo");
    // The token is in an HttpOnly cookie: the page's own script cannot read it.
    expect(await page.evaluate(() => document.cookie)).not.toContain("access_token");

    const key = await createKey(page, "from the browser");
    await expect.poll(() => page.getByTestId("created").isVisible()).toBe(true);
    expect(await page.getByTestId("created").textContent()).toMatch(/cannot be shown again/);
    await page.getByTestId("copy").click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    const id = key.split("_")[1]!;
    const row = page.locator(`tr[data-key-id="${id}"]`);
    await expect.poll(() => row.getByTestId("key-name").textContent()).toBe("from the browser");
    expect(await row.getByTestId("key-scopes").textContent()).toBe("reports:read");

    expect(await callWithKey(page, key)).toEqual({ status: 200, via: "apiKey" });

    await row.getByTestId("delete").click();
    await expect.poll(() => row.count()).toBe(0);
    expect((await callWithKey(page, key)).status).toBe(401);
  });

  it("renames, disables and enables a key, and rotates it into a new one", async () => {
    const key = await createKey(page, "to change");
    const shown = page.getByTestId("created-key");
    const row = page.locator(`tr[data-key-id="${key.split("_")[1]}"]`);

    await row.getByTestId("rename").click();
    await row.getByTestId("rename-input").fill("renamed");
    await row.getByTestId("rename-save").click();
    await expect.poll(() => row.getByTestId("key-name").textContent()).toBe("renamed");

    await row.getByTestId("disable").click();
    await expect.poll(() => row.getByTestId("key-status").textContent()).toBe("disabled");
    expect((await callWithKey(page, key)).status).toBe(401);
    await row.getByTestId("enable").click();
    await expect.poll(() => row.getByTestId("key-status").textContent()).toBe("active");
    expect((await callWithKey(page, key)).status).toBe(200);

    await row.getByTestId("rotate").click();
    await expect.poll(() => shown.textContent()).not.toBe(key);
    const rotated = (await shown.textContent())!;
    expect((await callWithKey(page, rotated)).status).toBe(200);
    expect((await callWithKey(page, key)).status).toBe(401);
    // The replaced key is shown as rotated, with nothing that would bring it back.
    await expect.poll(() => row.getByTestId("key-status").textContent()).toBe("rotated");
    expect(await row.getByTestId("enable").count()).toBe(0);
    expect(await row.getByTestId("rotate").count()).toBe(0);
  });

  it("shows an admin the other users' keys", async () => {
    const adminPassword = /^ADMIN_PASSWORD='(.+)'$/m.exec(demo.shell.join("\n"))?.[1];
    await page.getByTestId("logout").click();
    await expect.poll(() => page.locator("#login-view").isVisible()).toBe(true);
    await page.locator("#login-form input[name=username]").fill("admin");
    await page.locator("#login-form input[name=password]").fill(adminPassword!);
    await page.locator("#login-form button[type=submit]").click();
    await expect.poll(() => page.getByTestId("who").textContent()).toBe("admin (admin)");
    await page.getByTestId("admin-user").selectOption("demo");
    await expect
      .poll(() => page.getByTestId("admin-table").getByTestId("key-name").allTextContents())
      .toContain("renamed");
  });
});
