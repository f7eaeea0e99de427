// The ticket workflow in a real browser (Debian's chromium, driven by Playwright), against
// the demo that `ticket-service/tests/browser.rs` starts:
//   a customer types a ticket and sees related FAQ suggestions, attaches a file through the
//   file input and submits; an agent finds it in the queues and answers with クローズ確認中;
//   the customer sees the answer and closes the ticket, after which the page offers a new
//   ticket about it. Every page visited passes axe-core (WCAG 2.1 AA) at 1100 px and at a
//   390 px phone width without sideways scrolling, and its HTML source is saved for the W3C
//   checker that browser.rs runs afterwards.
// Environment as kb.test.mjs, plus MADOGUCHI_HTML_DIR (where the page sources go).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const base = process.env.MADOGUCHI_URL;
const [customerEmail, customerPassword] = (process.env.MADOGUCHI_CUSTOMER || "").split(" ");
const [agentEmail, agentPassword] = (process.env.MADOGUCHI_AGENT || "").split(" ");
const shots = process.env.MADOGUCHI_SHOTS;
const htmlDir = process.env.MADOGUCHI_HTML_DIR;
assert.ok(base && customerEmail && agentEmail && htmlDir,
  "MADOGUCHI_URL, MADOGUCHI_CUSTOMER, MADOGUCHI_AGENT and MADOGUCHI_HTML_DIR must be set");
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});
after(async () => { await browser?.close(); });

/// A logged-in browser context; script errors, CSP reports and failed requests are
/// collected in `problems`.
async function loggedIn(email, password) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });
  page.on("response", (r) => { if (r.status() >= 400) problems.push(r.status() + " " + r.url()); });
  await page.goto(base + "/login");
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([page.waitForNavigation(), page.click("form button[type=submit]")]);
  assert.ok(!page.url().includes("/login"), "logged in: " + page.url());
  return { context, page, problems };
}

/// axe-core over the current page: no WCAG 2.1 A/AA violation. Evaluated through the
/// DevTools protocol, so the page's CSP (no inline scripts) does not block it.
async function accessible(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
  }));
  const found = result.violations.map((v) =>
    `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
  assert.deepEqual(found, [], `axe-core on ${label} (${page.url()})`);
}

/// The page's checks at desktop and phone width, and its source saved for the W3C checker.
async function checkPage(ctx, name) {
  const { page, context } = ctx;
  await accessible(page, name + " at 1100 px");
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow} px at 390 px`);
  await accessible(page, name + " at 390 px");
  await page.setViewportSize({ width: 1100, height: 900 });
  const source = await context.request.get(page.url());
  writeFileSync(`${htmlDir}/${name}.html`, await source.text());
}

test("a customer opens a ticket, an agent answers it, the customer closes it", async () => {
  const customer = await loggedIn(customerEmail, customerPassword);
  const c = customer.page;

  // The new-ticket form: suggestions while typing.
  await c.goto(base + "/tickets/new");
  await checkPage(customer, "ticket-new");
  await c.selectOption("#ticket_type", { index: 2 });
  await c.selectOption("#queue", { index: 1 });
  await c.fill("#subject", "社外宛のメールが届かない");
  await c.fill("#body", "昨日から一部の社外宛メールが配送されず、キューに残っています。\nログを添付します。");
  const suggestion = c.locator("#tk-related a").first();
  await suggestion.waitFor({ timeout: 10000 });
  assert.match(await c.locator("#tk-related").textContent(), /こちらの情報も役にたつかも知れません/);
  await c.getByLabel(/エンドユーザ名/).fill("株式会社ブラウザ試験");
  await c.setInputFiles("#files", {
    name: "maillog-抜粋.txt", mimeType: "text/plain",
    buffer: Buffer.from("Nov 26 09:12:01 gw postfix/smtp[123]: 451 4.7.1 Greylisted\n"),
  });
  if (shots) { await c.screenshot({ path: shots + "/ticket-new.png", fullPage: true }); }
  await Promise.all([c.waitForNavigation(), c.click("button[name=action][value=create]")]);
  const number = new URL(c.url()).pathname.split("/").pop();
  assert.match(number, /^\d{8}10\d+$/, "lands on the new ticket's page: " + c.url());
  assert.match(await c.content(), /maillog-抜粋\.txt/);
  assert.match(await c.content(), /株式会社ブラウザ試験/);

  // The agent finds it in the queues and answers with クローズ確認中.
  const agent = await loggedIn(agentEmail, agentPassword);
  const a = agent.page;
  await a.goto(base + "/agent");
  await checkPage(agent, "agent-overview");
  if (shots) { await a.screenshot({ path: shots + "/agent-queues.png", fullPage: true }); }
  await a.goto(base + "/agent/tickets?q=" + number);
  await checkPage(agent, "agent-list");
  await Promise.all([a.waitForNavigation(), a.click(`a[href="/agent/tickets/${number}"]`)]);
  await checkPage(agent, "agent-ticket");
  await a.fill("#answer-body", "グレーリストによる一時的な保留です。15〜30 分で自動的に再送されます。");
  await a.selectOption("#answer-next", "pending_close");
  await Promise.all([a.waitForNavigation(), a.click("form[action$='/answer'] button[type=submit]")]);
  assert.match(await a.content(), /グレーリストによる一時的な保留です/);
  if (shots) { await a.screenshot({ path: shots + "/agent-ticket.png", fullPage: true }); }
  assert.match(await a.locator(".tk-info, .agent-info, aside").first().textContent(), /クローズ確認中/);

  // The customer reads the answer and closes the ticket.
  await c.goto(base + "/tickets/" + number);
  assert.match(await c.content(), /グレーリストによる一時的な保留です/);
  assert.match(await c.locator(".tk-info").textContent(), /クローズ確認中/);
  await checkPage(customer, "ticket-view");
  if (shots) { await c.screenshot({ path: shots + "/ticket-view.png", fullPage: true }); }
  await c.fill("#body", "再送されたことを確認しました。ありがとうございました。");
  await c.selectOption("#next_state", "closed");
  await Promise.all([c.waitForNavigation(), c.click("form[action$='/reply'] button[type=submit]")]);
  assert.match(await c.locator(".tk-info").textContent(), /完了/);
  assert.equal(await c.locator("form[action$='/reply']").count(), 0, "a closed ticket takes no reply");
  const followUp = c.getByRole("link", { name: /このチケットについて新規チケットを作成/ });
  await Promise.all([c.waitForNavigation(), followUp.click()]);
  assert.match(await c.content(), new RegExp("Ref: #" + number));

  await c.goto(base + "/tickets?state=closed");
  await checkPage(customer, "ticket-list");
  assert.match(await c.content(), new RegExp(number));

  assert.deepEqual(customer.problems, [], "no script errors or failed requests (customer)");
  assert.deepEqual(agent.problems, [], "no script errors or failed requests (agent)");
  await customer.context.close();
  await agent.context.close();
});

test("without JavaScript the new-ticket form still shows related FAQ on request", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(base + "/login");
  await page.fill("#email", customerEmail);
  await page.fill("#password", customerPassword);
  await Promise.all([page.waitForNavigation(), page.click("form button[type=submit]")]);
  await page.goto(base + "/tickets/new");
  await page.fill("#subject", "パスワードを忘れた");
  await page.fill("#body", "管理画面のパスワードを忘れてしまいました。");
  await Promise.all([page.waitForNavigation(), page.click("button[name=action][value=related]")]);
  assert.equal(await page.inputValue("#subject"), "パスワードを忘れた", "what was typed is kept");
  assert.ok(await page.locator("#tk-related a").count() > 0, "suggestions shown without JavaScript");
  await context.close();
});
