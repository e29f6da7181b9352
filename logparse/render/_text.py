"""The words of the human reports (table, markdown, html and its timeline) in each language.

Only what a person reads is translated: ids, JSON keys, csv/jsonl columns and the values the
machine formats carry (statuses, kinds, reasons, warnings) stay English there, a contract.
Catalogue text (titles, steps) comes translated with the result; log lines and paths are shown as
written. The analysis words its reasons and warnings in English with paths and numbers in them:
``REASONS`` maps each of those sentences, as a template, to its translation. The English strings
are the reports' golden output: change one and the goldens change with it.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import cache, lru_cache

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
    "damaged": {"en": " (damaged)", "zh-CN": "（校验失败）"},
    "unrecognised": {"en": "Unrecognised errors and warnings", "zh-CN": "无法识别的错误和警告"},
    # Labels end with what separates them from the text after them.
    "warning_label": {"en": "warning: ", "zh-CN": "警告："},
    "reasons_separator": {"en": "; ", "zh-CN": "；"},
    "likely_cause_label": {"en": "Likely cause: ", "zh-CN": "可能的原因："},
    # -- table (terminal)
    "table.summary": {"en": " {source}: {analysed} file(s) analysed, {shown} finding(s) at >= {threshold:.2f}",
                      "zh-CN": " {source}：已分析 {analysed} 个文件，置信度 >= {threshold:.2f} 的诊断结果 {shown} 项"},
    "table.weaker": {"en": "Nothing at >= {threshold:.2f}; weaker hints: ",
                     "zh-CN": "没有置信度 >= {threshold:.2f} 的诊断结果；较弱的线索："},
    "table.note": {"en": f"({_NOTE_EN})", "zh-CN": f"（{_NOTE_ZH}）"},
    "table.kind_title": {"en": " ({kind}) - {title}", "zh-CN": "（{kind}）- {title}"},
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
    # Values of the result the human reports name in words (``term``); the machine formats carry the value.
    "status.analyzed": {"en": "analyzed", "zh-CN": "已分析"},
    "status.skipped": {"en": "skipped", "zh-CN": "已跳过"},
    "status.failed": {"en": "failed", "zh-CN": "失败"},
    "kind.error": {"en": "error", "zh-CN": "错误"},
    "kind.cause": {"en": "cause", "zh-CN": "根本原因"},
    "kind.unknown-code": {"en": "unknown-code", "zh-CN": "未知代码"},
    "severity.error": {"en": "error", "zh-CN": "错误"},
    "severity.warning": {"en": "warning", "zh-CN": "警告"},
    "severity.info": {"en": "info", "zh-CN": "信息"},
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


def term(group: str, value: str, lang: str | None) -> str:
    """A value of the result (``status``, ``kind``, ``severity``) in words of ``lang``; one the table
    does not name is shown as it is."""
    texts = MESSAGES.get(f"{group}.{value}")
    return value if texts is None else texts.get(language(lang), value)


# The analysis' reasons and warnings (file reasons, triage warnings, finding reasons, the basis of
# the failing job window), as (English template, zh-CN template). ``{name}`` stands for text shown as
# written (a path, a size, a value); one named in _DIGITS for a whole number; one named in _NESTED
# for a reason of its own, translated by this same table (and kept as written when it has no row).
# A "{path}: " before any reason is handled once for all (see _translate). The first row that
# matches a whole text wins: a longer form goes before the shorter one that would also match it.
# tests/test_render.py checks that every reason literal of the producing modules has a row here.
REASONS: tuple[tuple[str, str], ...] = (
    # -- files: why one was skipped, failed or cut (FileReport.reason)
    ("binary data, not a {format} log", "二进制数据，不是 {format} 日志"),
    ("binary data", "二进制数据"),
    ("empty file", "空文件"),
    ("no known log layout", "没有已知的日志格式"),
    ("only the first {n} bytes read", "只读取了前 {n} 字节"),
    ("truncated by the collector", "已被日志收集工具截断"),
    ("cut by waagent -collect-logs (stored as {name})", "已被 waagent -collect-logs 截断（保存为 {name}）"),
    ("tail kept by sosreport's size limit (stored as {name})", "受 sosreport 的大小限制只保留了末尾（保存为 {name}）"),
    ("size equals waagent -collect-logs' {size} per-file cap",
     "大小等于 waagent -collect-logs 每个文件 {size} 的上限"),
    ("size equals sosreport's default {size} --log-size", "大小等于 sosreport 默认的 --log-size（{size}）"),
    ("an agent history copy: on the timeline only", "代理的历史副本：仅显示在时间线上"),
    ("older than status {n}: on the timeline only", "早于状态 {n}：仅显示在时间线上"),
    ("the batch's own database (--db), not part of the bundle", "批处理自身的数据库（--db），不属于日志包"),
    ("compressed more than {n} times over", "压缩超过 {n} 层"),
    ("a web page saved under a compressed file's name, not a log", "以压缩文件名保存的网页，不是日志"),
    ("nested archive deeper than {n} levels", "嵌套归档超过 {n} 层"),
    ("unreadable: {why}", "无法读取：{why}"),
    ("symlink", "符号链接"),
    ("hardlink", "硬链接"),
    ("device", "设备文件"),
    ("fifo", "命名管道（FIFO）"),
    ("socket", "套接字"),
    ("sparse file", "稀疏文件"),
    ("unsupported tar member type {type}", "不支持的 tar 成员类型 {type}"),
    ("absolute path", "绝对路径"),
    ("path traversal", "路径穿越"),
    ("encrypted", "已加密"),
    ("unsupported compression method {method}", "不支持的压缩方法 {method}"),
    ("same data as {member}", "与 {member} 的数据相同"),
    ("data overlaps that of {member}", "数据与 {member} 的数据重叠"),
    # -- the caps (--max-member-size, --max-total-size, --max-ratio)
    ("exceeds per-member cap of {n} bytes", "超过单个成员的大小上限 {n} 字节"),
    ("decompresses past the total cap of {n} bytes", "解压后超过总大小上限 {n} 字节"),
    ("total size cap of {n} bytes reached", "已达到总大小上限 {n} 字节"),
    ("compression ratio above {ratio} in tar headers and member data skipped unread",
     "tar 头部及跳过未读的成员数据的压缩比超过 {ratio}"),
    ("compression ratio above {ratio} in member data skipped unread", "跳过未读的成员数据的压缩比超过 {ratio}"),
    ("compression ratio above {ratio}", "压缩比超过 {ratio}"),
    ("zip larger than the {n}-byte cap for spooling", "zip 超过暂存上限 {n} 字节"),
    ("larger than {n} MiB", "大于 {n} MiB"),
    # -- damaged data: a read failure is "truncated: ..." or "corrupt: ..." (_streams.describe)
    ("truncated: {why}", "已截断：{why}"),
    ("corrupt: {why}", "已损坏：{why}"),
    ("damaged: {why}", "校验失败：{why}"),
    ("{damage}: the text may be altered", "{damage}：文本可能已被改动"),
    ("the text may be altered", "文本可能已被改动"),
    ("zip CRC-32 mismatch (stored {stored}, data {data})", "zip CRC-32 不一致（记录为 {stored}，数据为 {data}）"),
    ("{n}+ bytes after the compressed data ignored (no other stream starts there)",
     "已忽略压缩数据之后的 {n}+ 字节（其后没有新的数据流开始）"),
    ("Compressed file ended before the end-of-stream marker was reached", "压缩文件在数据流结束标记之前就结束了"),
    ("gzip trailer cut short", "gzip 尾部不完整"),
    ("gzip header cut short", "gzip 头部不完整"),
    ("not a gzip member (method {method})", "不是 gzip 成员（压缩方法 {method}）"),
    ("gzip header with reserved flags {flags}", "gzip 头部带有保留标志 {flags}"),
    ("gzip CRC-32 mismatch of member {n} (stored {stored}, data {data})",
     "第 {n} 个 gzip 成员的 CRC-32 不一致（记录为 {stored}，数据为 {data}）"),
    ("gzip CRC-32 mismatch (stored {stored}, data {data})", "gzip CRC-32 不一致（记录为 {stored}，数据为 {data}）"),
    ("gzip length mismatch of member {n} (stored {stored}, data {data} mod 2**32)",
     "第 {n} 个 gzip 成员的长度不一致（记录为 {stored}，数据为 {data} mod 2**32）"),
    ("gzip length mismatch (stored {stored}, data {data} mod 2**32)",
     "gzip 长度不一致（记录为 {stored}，数据为 {data} mod 2**32）"),
    ("{damage}; then {reason}", "{damage}；随后{reason}"),
    ("zstd stream ends inside a frame", "zstd 数据流在帧的中间结束"),
    ("unknown compression {kind}", "未知的压缩格式 {kind}"),
    ("empty header", "空的头部"),
    ("truncated header", "头部不完整"),
    ("end of file header", "文件结束头部"),
    ("invalid header", "无效的头部"),
    ("bad checksum", "校验和错误"),
    ("extended header of {n} bytes", "扩展头部长达 {n} 字节"),
    ("member data runs past the next header", "成员数据越过了下一个头部"),
    ("unexpected end of data", "数据意外结束"),
    ("member read after the archive moved on (a tar is read in one pass)",
     "归档已向后读取之后才读取该成员（tar 只按顺序读取一遍）"),
    ("archive ends without its end-of-archive block", "归档在结束块之前就结束了"),
    ("archive ends without its central directory", "归档在中央目录之前就结束了"),
    ("archive ends inside a member header", "归档在成员头部的中间结束"),
    ("no member header where one should start", "应有成员头部的位置没有成员头部"),
    ("central directory unreadable", "无法读取中央目录"),
    ("cannot find the end of member {member}", "找不到成员 {member} 的结尾"),
    ("zip data descriptor cut short", "zip 数据描述符不完整"),
    ("zip member {member} cut short", "zip 成员 {member} 不完整"),
    ("bad CRC-32 for zip member {member}", "zip 成员 {member} 的 CRC-32 校验错误"),
    ("zip member {member} larger than {n} bytes", "zip 成员 {member} 大于 {n} 字节"),
    # What the libraries say most often (zlib, bz2, lzma, zstandard, zipfile, the OS); others stay as written.
    ("Error {code} while decompressing data: {why}", "解压数据时出错（{code}）：{why}"),
    ("invalid block type", "无效的块类型"),
    ("invalid stored block lengths", "无效的存储块长度"),
    ("invalid distance too far back", "无效的回溯距离"),
    ("invalid distance code", "无效的距离编码"),
    ("invalid code lengths set", "无效的编码长度集"),
    ("incorrect header check", "头部校验错误"),
    ("incorrect data check", "数据校验错误"),
    ("Invalid data stream", "无效的数据流"),
    ("Input format not supported by decoder", "解码器不支持此输入格式"),
    ("Corrupt input data", "输入数据已损坏"),
    ("zstd decompress error: {why}", "zstd 解压出错：{why}"),
    ("Unknown frame descriptor", "未知的帧描述符"),
    ("Data corruption detected", "检测到数据损坏"),
    ("File is not a zip file", "不是 zip 文件"),
    ("Bad CRC-32 for file {name}", "文件 {name} 的 CRC-32 校验错误"),
    ("Bad magic number for file header", "文件头部的魔数错误"),
    ("Truncated file header", "文件头部不完整"),
    ("That compression method is not supported", "不支持该压缩方法"),
    ("Permission denied", "权限不足"),
    ("No such file or directory", "文件或目录不存在"),
    ("Too many levels of symbolic links", "符号链接层级过多"),
    ("Input/output error", "输入/输出错误"),
    # -- triage warnings
    ("{name}: no members", "{name}：没有任何成员"),
    ("{label}: more than {n} members; the rest are unread", "{label}：成员超过 {n} 个；其余的未读取"),
    ("{label}: unreadable tar ({why})", "{label}：无法读取的 tar 归档（{why}）"),
    ("{label}: unreadable zip ({why})", "{label}：无法读取的 zip 归档（{why}）"),
    ("{label}: total size cap of {n} bytes reached; later members unread",
     "{label}：已达到总大小上限 {n} 字节；后面的成员未读取"),
    ("{label}: more than one member is named {member} (each read); its file rows and evidence lines do not "
     "say which", "{label}：有多个成员名为 {member}（均已读取）；其文件行和证据行无法区分来自哪一个"),
    ("{label}: more than one member is named {member} (different data, each read); its file rows and evidence "
     "lines do not say which",
     "{label}：有多个成员名为 {member}（数据不同，均已读取）；其文件行和证据行无法区分来自哪一个"),
    ("{reason} (met after the tar's last member: the text of some member read may be damaged)",
     "{reason}（在 tar 的最后一个成员之后发现：已读取的某些成员的文本可能已损坏）"),
    ("{reason} (met after the tar's last member)", "{reason}（在 tar 的最后一个成员之后发现）"),
    ("{label}: data after the tar's end-of-archive block ignored (from byte {n} on)",
     "{label}：已忽略 tar 结束块之后的数据（从第 {n} 字节起）"),
    ("{label}: archive cut or corrupt {where} ({reason}); later members unread",
     "{label}：归档在{where}被截断或已损坏（{reason}）；后面的成员未读取"),
    ("after member {member}", "成员 {member} 之后"),
    ("before its first member", "第一个成员之前"),
    ("{label}: zip directory unreadable ({why}); read in stored order up to member {member}, then {stop}; later "
     "members unread",
     "{label}：无法读取 zip 目录（{why}）；已按存储顺序读到成员 {member}，随后{stop}；后面的成员未读取"),
    ("{path}: not read as a state document ({reason})", "{path}：未作为状态文档读取（{reason}）"),
    ("log evidence limited to {since} .. {end}, around backup job {job} of a --state document; pass "
     "--since/--until to choose another window",
     "日志证据限定在 {since} .. {end}，即 --state 文档中备份作业 {job} 前后；可用 --since/--until 选择其他时间窗口"),
    ("the end", "结束"),
    ("worker processes could not start ({why}): scanned in one process",
     "无法启动工作进程（{why}）：已在单个进程中扫描"),
    ("no file had a known log layout ({files} read as plain text): no finding here is no sign of a healthy "
     "agent or extension",
     "没有文件具有已知的日志格式（{files} 按纯文本读取）：此处没有诊断结果并不表示代理或扩展运行正常"),
    ("{paths} and {n} more", "{paths} 及另外 {n} 个文件"),
    ("no VM log, configuration or state document was read ({files} read as job error text, nothing matched): no "
     "finding here is no sign of a healthy agent or extension",
     "没有读取到虚拟机的日志、配置或状态文档（{files} 按作业错误文本读取，未匹配到任何内容）："
     "此处没有诊断结果并不表示代理或扩展运行正常"),
    # Before the row without matches: that one's {last} would take the rest in.
    ("the time window {window} holds none of the {n} timed log line(s) checked, which run from {first} to {last} "
     "({count} of them matching {ids}): no finding from the logs is no sign of a healthy VM; pass --since/--until to "
     "choose another window",
     "时间窗口 {window} 不包含所检查的 {n} 行带时间的日志中的任何一行（这些行的时间从 {first} 到 {last}，"
     "其中 {count} 行匹配 {ids}）：日志中没有诊断结果并不表示虚拟机运行正常；可用 --since/--until 选择其他时间窗口"),
    ("the time window {window} holds none of the {n} timed log line(s) checked, which run from {first} to {last}: no "
     "finding from the logs is no sign of a healthy VM; pass --since/--until to choose another window",
     "时间窗口 {window} 不包含所检查的 {n} 行带时间的日志中的任何一行（这些行的时间从 {first} 到 {last}）："
     "日志中没有诊断结果并不表示虚拟机运行正常；可用 --since/--until 选择其他时间窗口"),
    ("logs of {n} different VMs in one bundle, analysed as one (their findings and evidence are mixed; triage each "
     "VM's files on their own): {vms}",
     "此日志包中有 {n} 台不同虚拟机的日志，已合并分析（其诊断结果和证据混在一起；"
     "请对每台虚拟机的文件分别运行 triage）：{vms}"),
    ("{vms}; {n} other log file(s) could be any of them", "{vms}；另有 {n} 个日志文件可能属于其中任何一台"),
    # -- state documents that could not be read (shown in the warning above)
    ("internal error: {type}: {message}", "内部错误：{type}：{message}"),
    ("JSON, but not a state document this reader knows", "是 JSON，但不是本工具认识的状态文档"),
    ("no facts found in this {kind} document", "在此 {kind} 文档中未找到任何状态信息"),
    ("no JSON document at the start of the text", "文本开头没有 JSON 文档"),
    ("not valid JSON ({message} at line {line} column {column})",
     "不是有效的 JSON（第 {line} 行第 {column} 列：{message}）"),
    ("JSON nested too deeply", "JSON 嵌套过深"),
    ("more text follows the JSON document than a pasted prompt", "JSON 文档之后的文本多于粘贴时附带的命令提示符"),
    ("no colon after a key", "键之后没有冒号"),
    ("not a handler state (expected one of {states})", "不是处理程序状态（应为 {states} 之一）"),
    ("XML with a DOCTYPE or entity declaration is not read", "不读取带有 DOCTYPE 或实体声明的 XML"),
    ("not well-formed XML ({message})", "XML 格式不正确（{message}）"),
    ("XML root <{tag}> is not GoalState or Extensions", "XML 根元素 <{tag}> 不是 GoalState 或 Extensions"),
    # -- why a finding was made (Finding.reasons), and its title when the catalogue has no entry
    ("{n} log signature(s), {count} line(s)", "{n} 个日志签名，{count} 行"),
    ("job error text ({what})", "作业错误文本（{what}）"),
    ("the error's own {what} at ERROR in the backup extension's log",
     "备份扩展日志中 ERROR 级别的行含有该错误自己的{what}"),
    # What matched the job error text (fuzzy.MatchResult.matched), and what of it a log line wrote.
    ("code and message", "代码和消息"),
    ("code", "代码"),
    ("message", "消息"),
    ("alias", "别名"),
    ("fuzzy-code", "近似的代码"),
    ("joined-code", "拼合的代码"),
    ("code-family", "同系列的代码"),
    ("int-code", "数字代码"),
    ("signature", "签名"),
    ("not cited, weaker on its own ({confidence}, {path}): {reason}",
     "未被引用，单独来看较弱（{confidence}，{path}）：{reason}"),
    ("surfaces as the portal code of {id}", "在门户中显示为 {id} 的错误代码"),
    ("a code in an error-code position that the catalogue does not know", "位于错误代码位置、但目录中没有的代码"),
    ("newest agent seen is {version}, older than {minimum}", "发现的最新代理版本为 {version}，低于 {minimum}"),
    ("agent auto-update is off", "代理自动更新已关闭"),
    ("{key}={value} in waagent.conf", "waagent.conf 中的 {key}={value}"),
    ("Provisioning.Agent={value} (the doc asks for auto)", "Provisioning.Agent={value}（文档要求设为 auto）"),
    ("Unknown error code {code}", "未知的错误代码 {code}"),
    ("extension {subject} is not Provisioning succeeded ({value})",
     "扩展 {subject} 的预配状态不是 succeeded（{value}）"),
    ("the backup extension {subject} is {value}: remove it and start an on-demand backup",
     "备份扩展 {subject} 的状态为 {value}：请将其删除，然后启动一次按需备份"),
    ("extension {subject} is still {value}", "扩展 {subject} 仍处于 {value} 状态"),
    ("the VM is in the failed provisioning state", "虚拟机处于预配失败状态"),
    ("the VM provisioning state is Updating, which can block a backup", "虚拟机的预配状态为 Updating，可能会阻止备份"),
    ("handler {subject} reports {value}", "处理程序 {subject} 报告 {value}"),
    ("handler {subject} is in state {value}", "处理程序 {subject} 处于 {value} 状态"),
    ("handler {subject} is {value}", "处理程序 {subject} 的状态为 {value}"),
    ("the VM's provisioning failed on an extension: {message}", "虚拟机因某个扩展而预配失败：{message}"),
    ("a failed VM provisioning state is most often a failed extension", "虚拟机预配失败通常是某个扩展失败所致"),
    ("the VM agent never reported a version: it may not be installed", "虚拟机代理从未报告过版本：可能没有安装"),
    ("the VM agent {state} on a running VM ({message})", "虚拟机正在运行，但虚拟机代理{state}（{message}）"),
    ("the VM agent {state} on a running VM", "虚拟机正在运行，但虚拟机代理{state}"),
    ("the VM agent {state} ({message})", "虚拟机代理{state}（{message}）"),
    ("the VM agent {state}", "虚拟机代理{state}"),
    ("has not reported", "未报告状态"),
    ("is {value}", "的状态为 {value}"),
    ("the agent does not report its status (platform not known from this document)",
     "代理没有报告其状态（无法从此文档判断平台）"),
    ("the {os} agent does not report its status", "{os} 代理没有报告其状态"),
    ("agent {version} is older than {minimum}", "代理版本 {version} 低于 {minimum}"),
    ("{level} lock {subject} on {where}, where Azure Backup keeps restore points",
     "{where}上的 {level} 锁 {subject}（Azure 备份在此保存还原点）"),
    ("{level} lock {subject} on the subscription applies to AzureBackupRG_* too",
     "订阅上的 {level} 锁 {subject} 同样作用于 AzureBackupRG_*"),
    ("{level} lock {subject} on {where}: restore points of VMs backed up before 2019 live in the VM's own "
     "resource group", "{where}上的 {level} 锁 {subject}：2019 年之前备份的虚拟机的还原点位于虚拟机自己的资源组中"),
    ("an unknown scope", "未知范围"),
    ("{n} restore points for {vm} {where}; the limit is {limit} per VM",
     "{vm} {where}共有 {n} 个还原点；上限为每个虚拟机 {limit} 个"),
    ("{n} restore points for {vm} {where}, close to the limit {limit}",
     "{vm} {where}共有 {n} 个还原点，接近上限 {limit}"),
    ("in this document ({counts})", "在此文档中（{counts}）"),
    ("in this document", "在此文档中"),
    ("across {n} collections in {count} documents ({counts})", "在 {count} 个文档的 {n} 个集合中（{counts}）"),
    ("across {n} collections in {count} documents", "在 {count} 个文档的 {n} 个集合中"),
    ("encrypted disk", "加密磁盘"),
    ("encrypted disk {subject} is {size} GiB, above the {limit} TB limit",
     "加密磁盘 {subject} 为 {size} GiB，超过 {limit} TB 的上限"),
    ("disk {subject} is {size} GiB, above the {limit} TB limit",
     "磁盘 {subject} 为 {size} GiB，超过 {limit} TB 的上限"),
    ("backup job {job} started at {time} while job {other} ({status}) was still running",
     "备份作业 {job} 于 {time} 开始，而作业 {other}（{status}）仍在运行"),
    ("backup job {job} started at {time} while job {other} ({status}, in {path}) still ran",
     "备份作业 {job} 于 {time} 开始，而作业 {other}（{status}，位于 {path}）仍在运行"),
    ("job error code", "作业错误代码"),
    ("extension error code", "扩展错误代码"),
    ("snapshot extension status code", "快照扩展状态码"),
    ("job error code {value} is {id}", "作业错误代码 {value} 即 {id}"),
    ("job error code {value}", "作业错误代码 {value}"),
    ("extension error code {value} is {id}", "扩展错误代码 {value} 即 {id}"),
    ("extension error code {value}", "扩展错误代码 {value}"),
    ("snapshot extension status code {value} is {id}", "快照扩展状态码 {value} 即 {id}"),
    ("snapshot extension status code {value}", "快照扩展状态码 {value}"),
    ("the agent's last successful status upload was {hours} h before the failed backup job started",
     "代理最后一次成功上传状态是在失败的备份作业开始前 {hours} 小时"),
    # -- the basis of the failing job window (stats.evidence_focus.basis)
    ("the latest snapshot attempts", "最近几次快照尝试"),
    ("the latest snapshot attempt", "最近一次快照尝试"),
    ("backup job {job}", "备份作业 {job}"),
    # -- two reasons in one (gzip trailer mismatches, then what ended the stream): both must translate
    ("{reason}; {more}", "{reason}；{more}"),
)
_NESTED = frozenset({"reason", "why", "where", "stop", "damage", "more", "end", "files", "state", "vms", "what"})
_DIGITS = frozenset({"n", "count"})
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Beyond these a text is shown as written: a member name is bundle data, and one built to hold
# hundreds of ": " must not make the report slow.
_MAX_TEXT = 4000
_MAX_DEPTH = 6
_MAX_LABELS = 16  # places a "{path}: " may end: a path holding ": " more often than this is no path


@dataclass(frozen=True)
class _Row:
    pattern: re.Pattern[str]
    parts: tuple[str, ...]  # literal, name, literal, name, ..., literal
    needle: str  # its longest literal: a text without it cannot match, and "in" tells fast
    chinese: str
    strict: bool  # no words of its own: it applies only when every reason in it translates


@cache
def _rows() -> tuple[_Row, ...]:
    """``REASONS`` compiled, once a report in another language than English asks for them."""
    rows = []
    for english, chinese in REASONS:
        parts = tuple(_PLACEHOLDER.split(english))
        pattern = "".join(re.escape(part) if i % 2 == 0 else
                          rf"(?P<{part}>\d+)" if part in _DIGITS else rf"(?P<{part}>.+?)"
                          for i, part in enumerate(parts))
        words = "".join(parts[::2])
        rows.append(_Row(re.compile(pattern, re.DOTALL), parts, max(parts[::2], key=len), chinese,
                         not re.search("[A-Za-z]", words)))
    return tuple(rows)


@cache
def _rows_from(first: str) -> tuple[_Row, ...]:
    """The rows a text starting with ``first`` may match, in table order: those starting with that
    character or with a value. A bundle of many files tries each of their reasons against few rows."""
    return tuple(row for row in _rows() if not row.parts[0] or row.parts[0][0] == first)


def reason(text: str, lang: str | None) -> str:
    """One of the analysis' reasons or warnings in ``lang``; as written when the table has no row for it.

    Only the human reports call this: JSON, JSONL and CSV carry the English text, a contract.
    """
    if language(lang) == ENGLISH or len(text) > _MAX_TEXT:
        return text
    _work[0] = _MAX_WORK
    try:
        said = _translate(text, 0)
    except _OutOfWork:  # a name built to hold many reasons' words: shown as written
        return text
    return text if said is None else said[0]


# Rows tried and cuts placed for one reason: a usual one needs a few dozen, a member name built to
# hold many reasons' words (": ", "; then ") thousands (3.6 KB took 4.7 s). Not cached when it runs
# out (lru_cache keeps no exception), so a later reason is not judged by an earlier one's budget.
_MAX_WORK = 3000
_work = [0]


class _OutOfWork(Exception):
    """The work allowed for one reason is spent."""


def _spend() -> None:
    _work[0] -= 1
    if _work[0] < 0:
        raise _OutOfWork


# How well a text was recognised: by a row of its own, or as a path before a reason.
_BY_ROW, _BY_LABEL = 2, 1
_MAX_SPLITS = 64


@lru_cache(maxsize=4096)  # a bundle of many files repeats a few reasons
def _translate(text: str, depth: int) -> tuple[str, int] | None:
    """``text`` in Chinese and how it was recognised, or None when no row matches it."""
    said = _by_row(text, depth)
    if said is not None:
        return said, _BY_ROW
    if depth >= _MAX_DEPTH:
        return None
    # "{path}: {reason}": a member's error names it first. The path is kept whole, ": " and all,
    # up to the first place where what follows is a known reason.
    for colon in itertools.islice(re.finditer(": ", text), _MAX_LABELS):
        if colon.start() and (said := _by_row(text[colon.end():], depth + 1)) is not None:
            return f"{text[:colon.start()]}：{said}", _BY_LABEL
    return None


def _by_row(text: str, depth: int) -> str | None:
    """``text`` translated by the first row that matches it whole, or None."""
    for row in _rows_from(text[:1]):
        if row.needle not in text:
            continue
        _spend()
        if row.pattern.fullmatch(text) is None:
            continue
        best: tuple[int, dict[str, str]] | None = None
        # A value can hold the words that follow it ("after member waagent (1).log (corrupt: ...)"):
        # of the ways to cut the text, the one whose inner reasons are best recognised wins.
        for values in _cuts(row, text):
            score, said = 0, dict(values)
            for name in values.keys() & _NESTED:
                inner = _translate(values[name], depth + 1) if depth < _MAX_DEPTH else None
                if inner is not None:
                    said[name], quality = inner
                    score += quality
                elif row.strict:
                    break
            else:
                if best is None or score > best[0]:
                    best = (score, said)
        if best is not None:
            return row.chinese.format(**best[1])
    return None


def _cuts(row: _Row, text: str) -> list[dict[str, str]]:
    """The ways ``text`` splits into the values of ``row`` (shortest first values first), at most _MAX_SPLITS."""
    parts = row.parts
    names, literals = parts[1::2], parts[::2]
    found: list[dict[str, str]] = []
    tries = [_MAX_SPLITS * 16]  # a text built to hold a row's words many times over stays cheap

    def place(index: int, start: int, values: dict[str, str]) -> None:
        tries[0] -= 1
        _spend()
        if len(found) >= _MAX_SPLITS or tries[0] < 0:
            return
        if index == len(names):
            if start == len(text):
                found.append(dict(values))
            return
        after = literals[index + 1]
        last = index + 1 == len(names)
        ends = [len(text) - len(after)] if last else _occurrences(text, after, start + 1)
        for end in ends:
            value = text[start:end]
            if end <= start or (last and not text.endswith(after)) or (names[index] in _DIGITS
                                                                          and not value.isdigit()):
                continue
            values[names[index]] = value
            place(index + 1, end + len(after), values)
        values.pop(names[index], None)

    if text.startswith(literals[0]):
        place(0, len(literals[0]), {})
    return found


def _occurrences(text: str, literal: str, start: int) -> list[int]:
    out: list[int] = []
    at = text.find(literal, start)
    while at >= 0 and len(out) < _MAX_SPLITS:
        out.append(at)
        at = text.find(literal, at + 1)
    return out
