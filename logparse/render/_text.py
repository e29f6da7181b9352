"""The fixed words of the human reports (table, markdown, html and its timeline) in each language.

Only what a person reads is here: ids, file statuses, finding kinds, JSON keys and csv/jsonl
columns are a contract and stay the same in every language. Catalogue text (titles, steps) comes
translated with the result; log lines, paths and the analysis' own warnings are shown as written.
The English strings are the reports' golden output: change one and the goldens change with it.
"""

from __future__ import annotations

ENGLISH = "en"
LANGUAGES = (ENGLISH, "zh-CN")
# The spellings of Simplified Chinese the CLI takes for --lang (and locales), after normalising.
_CHINESE = ("zh", "zh-cn", "zh-hans", "zh-hans-cn", "cn")

_NOTE_EN = "times are UTC; 'local' marks a source that only wrote local time, shown as written"
# "local" stays as the marker the times carry (``2024-05-01 21:07:47 local``) in every language.
_NOTE_ZH = "时间均为 UTC；标有 local 的时间来自只记录本地时间的来源，按原样显示"

# key -> language -> text with str.format placeholders.
MESSAGES: dict[str, dict[str, str]] = {
    # -- shared by the reports
    "no_failure": {"en": "No known backup failure found.", "zh-CN": "未发现已知的备份故障。"},
    "title": {"en": "logparse triage: {source}", "zh-CN": "logparse triage 报告：{source}"},
    "local_note": {"en": _NOTE_EN, "zh-CN": _NOTE_ZH},
    "more_lines": {"en": "... {more} more line(s)", "zh-CN": "... 另有 {more} 行"},
    "json_lists": {"en": " (--json lists {kept} of them)", "zh-CN": "（--json 列出其中 {kept} 行）"},
    "truncated": {"en": " (truncated)", "zh-CN": "（已截断）"},
    "unrecognised": {"en": "Unrecognised errors and warnings", "zh-CN": "无法识别的错误和警告"},
    # Labels end with what separates them from the text after them.
    "warning_label": {"en": "warning: ", "zh-CN": "警告："},
    "likely_cause_label": {"en": "Likely cause: ", "zh-CN": "可能的原因："},
    # -- table (terminal)
    "table.summary": {"en": " {source}: {analysed} file(s) analysed, {shown} finding(s) at >= {threshold:.2f}",
                      "zh-CN": " {source}：已分析 {analysed} 个文件，置信度 >= {threshold:.2f} 的诊断结果 {shown} 项"},
    "table.weaker": {"en": "Nothing at >= {threshold:.2f}; weaker hints: ",
                     "zh-CN": "没有置信度 >= {threshold:.2f} 的诊断结果；较弱的线索："},
    "table.note": {"en": f"({_NOTE_EN})", "zh-CN": f"（{_NOTE_ZH}）"},
    "table.cause_label": {"en": "   cause: ", "zh-CN": "   原因："},
    "table.files": {"en": "Files not fully analysed", "zh-CN": "未完全分析的文件"},
    "table.path": {"en": "path", "zh-CN": "路径"},
    "table.status": {"en": "status", "zh-CN": "状态"},
    "table.reason": {"en": "reason", "zh-CN": "原因"},
    "table.no_signature": {"en": " (no catalogue signature):", "zh-CN": "（没有匹配的目录签名）："},
    # -- markdown
    "md.summary": {"en": "{analysed} file(s) analysed, {skipped} skipped or failed; "
                         "{shown} finding(s) at confidence >= {threshold:.2f}.",
                   "zh-CN": "已分析 {analysed} 个文件，{skipped} 个已跳过或失败；"
                            "置信度 >= {threshold:.2f} 的诊断结果 {shown} 项。"},
    "md.note": {"en": " Times are UTC; 'local' marks a source that only wrote local time, shown as written.",
                "zh-CN": f"{_NOTE_ZH}。"},
    "md.weaker": {"en": "Weaker hints only: {hints}", "zh-CN": "仅有较弱的线索：{hints}"},
    "md.finding": {"en": "**{number}. {id}** ({kind}, confidence {confidence:.2f}): {title}",
                   "zh-CN": "**{number}. {id}**（{kind}，置信度 {confidence:.2f}）：{title}"},
    "md.evidence": {"en": "- Evidence ({count} line(s)):", "zh-CN": "- 证据（{count} 行）："},
    "md.and_more": {"en": "  - ... and {more} more", "zh-CN": "  - ... 另有 {more} 行"},
    "md.steps": {"en": "- Steps:", "zh-CN": "- 修复步骤："},
    "md.docs_label": {"en": "- Docs: ", "zh-CN": "- 文档："},
    "md.unrecognised": {"en": "{count} unrecognised error/warning template(s); most frequent "
                              "({top}x {level}): {template}",
                        "zh-CN": "{count} 个无法识别的错误/警告模板；最常见的（{top} 次，{level}）：{template}"},
    # -- html
    "html.nav_findings": {"en": "Findings", "zh-CN": "诊断结果"},
    "html.nav_timeline": {"en": "Timeline", "zh-CN": "时间线"},
    "html.nav_files": {"en": "Files", "zh-CN": "文件"},
    "html.nav_unrecognised": {"en": "Unrecognised errors", "zh-CN": "无法识别的错误"},
    "html.findings": {"en": "Findings at confidence >= {threshold:.2f}",
                      "zh-CN": "置信度 >= {threshold:.2f} 的诊断结果"},
    "html.weaker": {"en": "{count} weaker hint(s) below {threshold:.2f}",
                    "zh-CN": "{count} 条较弱的线索（置信度低于 {threshold:.2f}）"},
    "html.warnings": {"en": "Warnings", "zh-CN": "警告"},
    "html.footer": {"en": "logparse {version}. This page is self-contained: it loads nothing from the network.",
                    "zh-CN": "logparse {version}。此页面完全独立：不会从网络加载任何内容。"},
    "html.stat_findings": {"en": "findings", "zh-CN": "诊断结果"},
    "html.stat_files": {"en": "files analysed", "zh-CN": "已分析的文件"},
    "html.stat_skipped": {"en": "skipped / failed", "zh-CN": "已跳过 / 失败"},
    "html.stat_bytes": {"en": "bytes read", "zh-CN": "已读取的字节数"},
    "html.stat_agents": {"en": "agent versions", "zh-CN": "代理版本"},
    "html.none_seen": {"en": "none seen", "zh-CN": "未发现"},
    "html.stat_attempts": {"en": "snapshot attempts", "zh-CN": "快照尝试次数"},
    "html.stat_last_attempt": {"en": "last snapshot attempt", "zh-CN": "最近一次快照尝试"},
    "html.none": {"en": "none", "zh-CN": "无"},
    "html.the_end": {"en": "the end", "zh-CN": "结束"},
    "html.stat_window": {"en": "failing job window (evidence shown first)",
                         "zh-CN": "失败作业的时间窗口（优先显示其中的证据）"},
    "html.window": {"en": "{since} to {until}, from {basis}", "zh-CN": "{since} 至 {until}，依据：{basis}"},
    "html.stat_span": {"en": "log time span", "zh-CN": "日志时间范围"},
    "html.span": {"en": "{start} to {end}", "zh-CN": "{start} 至 {end}"},
    "html.note": {"en": f"All {_NOTE_EN}.", "zh-CN": f"{_NOTE_ZH}。"},
    "html.why_label": {"en": "Why: ", "zh-CN": "判断依据："},
    "html.time": {"en": "time", "zh-CN": "时间"},
    "html.where": {"en": "where", "zh-CN": "位置"},
    "html.from": {"en": "from", "zh-CN": "来源"},
    "html.line_of": {"en": "line ({shown} of {count})", "zh-CN": "日志行（显示 {shown} 行，共 {count} 行）"},
    "html.more_kept": {"en": "{count} more kept line(s){dropped}", "zh-CN": "另有 {count} 行已保留{dropped}"},
    "html.dropped": {"en": "; {count} more counted but not kept", "zh-CN": "；另有 {count} 行已计数但未保留"},
    "html.only_dropped": {"en": "{count} more line(s) counted but not kept",
                          "zh-CN": "另有 {count} 行已计数但未保留"},
    "html.timeline": {"en": "Timeline", "zh-CN": "时间线"},
    "html.events": {"en": "{count} event(s)", "zh-CN": "{count} 个事件"},
    "html.events_first": {"en": ", the first {count} listed", "zh-CN": "，列出前 {count} 个"},
    "html.kind": {"en": "kind", "zh-CN": "类型"},
    "html.line": {"en": "line", "zh-CN": "日志行"},
    "html.files": {"en": "Files ({count})", "zh-CN": "文件（{count}）"},
    "html.path": {"en": "path", "zh-CN": "路径"},
    "html.format": {"en": "format", "zh-CN": "格式"},
    "html.status": {"en": "status", "zh-CN": "状态"},
    "html.lines": {"en": "lines", "zh-CN": "行数"},
    "html.reason": {"en": "reason", "zh-CN": "原因"},
    "html.all_matched": {"en": "Every ERROR and WARNING line matched a catalogue signature.",
                         "zh-CN": "每个 ERROR 和 WARNING 行都匹配了目录中的签名。"},
    "html.unmatched": {"en": "ERROR and WARNING lines no catalogue signature explains, grouped with numbers, ids and "
                             "paths masked.",
                       "zh-CN": "目录中没有签名能解释的 ERROR 和 WARNING 行，已屏蔽其中的数字、ID 和路径后分组。"},
    "html.count": {"en": "count", "zh-CN": "次数"},
    "html.level": {"en": "level", "zh-CN": "级别"},
    "html.template": {"en": "template", "zh-CN": "模板"},
    "html.examples_at": {"en": "examples at", "zh-CN": "示例位置"},
    "html.legend_events": {"en": "agent event, snapshot attempt", "zh-CN": "代理事件、快照尝试"},
    "html.legend_states": {"en": "extension state: success, transitioning, failed",
                           "zh-CN": "扩展状态：成功、转换中、失败"},
    "html.legend_hits": {"en": "signature hits (darker: more)", "zh-CN": "签名命中（颜色越深，次数越多）"},
    "html.legend_evidence": {"en": "evidence of a finding (links to it)", "zh-CN": "诊断结果的证据（链接到该证据）"},
    "html.legend_local": {"en": "local time only", "zh-CN": "仅有本地时间"},
    # The basis of the failing job window, as the analysis words it (others are shown as written).
    "basis.attempt": {"en": "the latest snapshot attempt", "zh-CN": "最近一次快照尝试"},
    "basis.attempts": {"en": "the latest snapshot attempts", "zh-CN": "最近几次快照尝试"},
    "basis.job": {"en": "backup job {job}", "zh-CN": "备份作业 {job}"},
    # -- svg timeline
    "svg.agent_start": {"en": "agent starts", "zh-CN": "代理启动"},
    "svg.agent_version": {"en": "agent version", "zh-CN": "代理版本"},
    "svg.extension_state": {"en": "extension states", "zh-CN": "扩展状态"},
    "svg.snapshot_attempt": {"en": "snapshot attempts", "zh-CN": "快照尝试"},
    "svg.other_signatures": {"en": "{count} other signatures", "zh-CN": "其他 {count} 个签名"},
    "svg.other_evidence": {"en": "other finding evidence", "zh-CN": "其他诊断结果的证据"},
    "svg.title": {"en": "Timeline, {columns} columns of {step}", "zh-CN": "时间线：{columns} 列，每列 {step}"},
    "svg.zone_local": {"en": "UTC (hollow: local as written)", "zh-CN": "UTC（空心：本地时间，按原样）"},
    "svg.caption": {"en": "{zone}, {step} columns", "zh-CN": "{zone}，每列 {step}"},
    "svg.caption_zone": {"en": "{zone},", "zh-CN": "{zone}，"},
    "svg.caption_step": {"en": "{step} columns", "zh-CN": "每列 {step}"},
    "svg.days": {"en": "{count}-day", "zh-CN": "{count} 天"},
    "svg.hours": {"en": "{count}-hour", "zh-CN": "{count} 小时"},
    "svg.minutes": {"en": "{count}-minute", "zh-CN": "{count} 分钟"},
    "svg.hits": {"en": " ({count} hits)", "zh-CN": "（命中 {count} 次）"},
    "svg.cell": {"en": "{name}: {count} hit(s), {when}", "zh-CN": "{name}：命中 {count} 次，{when}"},
    "svg.events": {"en": "{count} event(s), {when}", "zh-CN": "{count} 个事件，{when}"},
    "svg.more": {"en": "\n... {count} more", "zh-CN": "\n... 另有 {count} 个"},
    "svg.evidence_label": {"en": "evidence: ", "zh-CN": "证据："},
    "svg.nothing": {"en": "No timestamped events or signature hits in this bundle: nothing to draw.",
                    "zh-CN": "此日志包中没有带时间戳的事件或签名命中：没有可绘制的内容。"},
    "svg.local_events": {"en": "{count} event(s) come from sources that only wrote local time: drawn hollow, "
                               "placed as written.",
                         "zh-CN": "{count} 个事件来自只记录本地时间的来源：绘制为空心，按原样放置。"},
    "svg.dropped": {"en": "{count} later event(s) were counted but not kept.",
                    "zh-CN": "另有 {count} 个较晚的事件已计数但未保留。"},
    "svg.folded": {"en": "{count} less frequent signature series share the last row.",
                   "zh-CN": "{count} 个出现较少的签名系列合并显示在最后一行。"},
}


def language(lang: str | None) -> str:
    """``zh-CN`` for the spellings --lang takes for it (``zh``, ``zh_CN.UTF-8`` ...), else ``en``.

    A language the reports do not have falls back to English rather than failing the report.
    """
    key = (lang or "").strip().lower().replace("_", "-").split(".")[0]
    return "zh-CN" if key in _CHINESE else ENGLISH


def message(key: str, lang: str | None, **values: object) -> str:
    """The text of ``key`` in ``lang`` (English when it has none), its placeholders filled from ``values``.

    Raises:
        KeyError: ``key`` is not in ``MESSAGES``.
    """
    texts = MESSAGES[key]
    return texts.get(language(lang), texts[ENGLISH]).format(**values)
