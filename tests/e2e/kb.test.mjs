// End-to-end tests in a real browser: Debian's chromium, driven by Playwright. The Rust
// test `ticket-service/tests/browser.rs` starts `ticket-service demo` (the command a new
// user runs) and runs this file with:
//   MADOGUCHI_URL       the demo's address, e.g. http://127.0.0.1:38123
//   MADOGUCHI_CUSTOMER  "email password" of a customer with an active contract
//   MADOGUCHI_AGENT     "email password" of an agent
//   MADOGUCHI_SHOTS     optional folder for screenshots
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const base = process.env.MADOGUCHI_URL;
const [customerEmail, customerPassword] = (process.env.MADOGUCHI_CUSTOMER || "").split(" ");
const [agentEmail, agentPassword] = (process.env.MADOGUCHI_AGENT || "").split(" ");
const shots = process.env.MADOGUCHI_SHOTS;
assert.ok(base && customerEmail && agentEmail, "MADOGUCHI_URL, MADOGUCHI_CUSTOMER and MADOGUCHI_AGENT must be set");

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});
after(async () => { await browser?.close(); });

async function login(page, email, password) {
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([page.waitForNavigation(), page.click("form button[type=submit]")]);
}

test("results appear as you type in the public knowledge base", async () => {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("response", (r) => { if (r.status() >= 400) errors.push(r.status() + " " + r.url()); });
  await page.goto(base + "/");
  await page.fill(".site-header input[name=q]", "メールが届かない");
  const first = page.locator(".live-results .search-results li a").first();
  await first.waitFor({ timeout: 10000 });
  assert.match(await first.textContent(), /メールが届かない場合の確認手順/);
  assert.ok(await page.locator(".live-results mark").count() > 0, "matches are highlighted");
  if (shots) { await page.screenshot({ path: shots + "/live-search.png" }); }
  await Promise.all([page.waitForNavigation(), first.click()]);
  assert.match(await page.locator("h1").textContent(), /メールが届かない場合の確認手順/);
  assert.deepEqual(errors, [], "no script errors and no CSP violations");
  await page.close();
});

test("without JavaScript the search box goes to the service's search page", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(base + "/");
  await page.fill(".site-header input[name=q]", "パスワードを忘れた");
  await Promise.all([page.waitForNavigation(), page.press(".site-header input[name=q]", "Enter")]);
  assert.ok(new URL(page.url()).pathname.endsWith("/search"), page.url());
  assert.match(await page.content(), /パスワードを忘れた/);
  await context.close();
});

test("a customer logs in to read the customer edition, but not the internal one", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(base + "/kb/");
  assert.ok(page.url().includes("/login"), "anonymous visitors are sent to the login page: " + page.url());
  await login(page, customerEmail, customerPassword);
  assert.ok(new URL(page.url()).pathname.startsWith("/kb/"), page.url());
  await page.goto(base + "/kb/articles/1504.html");
  assert.match(await page.locator("h1").textContent(), /サーバー証明書の更新手順/);
  const internal = await page.goto(base + "/agent/kb/");
  assert.equal(internal.status(), 404);
  await context.close();
});

test("an agent reads the internal edition and searches it", async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  await page.goto(base + "/login");
  await login(page, agentEmail, agentPassword);
  await page.goto(base + "/agent/kb/search?q=" + encodeURIComponent("エスカレーション"));
  assert.match(await page.content(), /エスカレーション手順/);
  if (shots) { await page.screenshot({ path: shots + "/agent-search.png" }); }
  await context.close();
});
