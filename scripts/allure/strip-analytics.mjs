// Remove the Google Analytics tag that Allure 3.18's "awesome" report always embeds (it ignores
// ALLURE_NO_ANALYTICS): a sign-off report must not call anywhere when opened. Fails loudly if a
// tracking reference survives (e.g. a new Allure version changed the snippet).
import { readFileSync, writeFileSync } from "node:fs";

const path = process.argv[2];
let html = readFileSync(path, "utf8");
const before = html.length;
html = html.replace(/<script async src="https:\/\/www\.googletagmanager\.com\/[^"]*"><\/script>\s*/g, "");
html = html.replace(/<script>\s*window\.dataLayer = window\.dataLayer[\s\S]*?<\/script>\s*/g, "");
if (/googletagmanager|gtag\(/.test(html)) {
  console.error(`strip-analytics: a tracking reference is still in ${path}; update scripts/allure/strip-analytics.mjs`);
  process.exit(1);
}
writeFileSync(path, html);
console.error(`strip-analytics: ${before - html.length} bytes of tracking removed from ${path}`);
