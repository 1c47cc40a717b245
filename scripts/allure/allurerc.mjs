// Allure 3 configuration for the sign-off report (scripts/allure-report.sh passes --config).
// One self-contained index.html that opens from disk, grouped by task and criterion, with the
// run history carried in a JSONL file between runs.
const env = process.env;

export default {
  name: env.ALLURE_REPORT_NAME ?? "Sprint 1.2 sign-off",
  output: env.ALLURE_OUTPUT ?? "reports/allure-report",
  historyPath: env.ALLURE_HISTORY ?? "reports/allure-history/history.jsonl",
  historyLimit: Number(env.ALLURE_HISTORY_LIMIT ?? 50),
  plugins: {
    awesome: {
      options: {
        reportName: env.ALLURE_REPORT_NAME ?? "Sprint 1.2 sign-off",
        singleFile: true,
        // epic = sprint, feature = "WIL-1.2-NNN title", story = "WIL-1.2-NNN/ACk text" (set by the plugin).
        groupBy: ["epic", "feature", "story"],
      },
    },
  },
};
