"""Fuzzy matching of pasted error text (a code, a portal block, CLI JSON, a ticket) to catalogue entries.

One call, one answer: ``match(text)`` returns ranked ``MatchResult`` objects whose ``confidence``
is meant literally (on the labelled cases in ``fixtures/cases``, results at >= 0.5 are right at
least 95% of the time). Evidence, strongest first (``codes``, ``messages``):

- an exact code or alias anywhere in the text, any case (generic platform codes such as
  ``ResourceNotFound`` need backup context, since other services raise them too: pasted alone,
  such a code names the Azure-wide error, a hint whose ``note`` says so, unless its message or
  the backup's own number for it comes with it, "320001, ResourceNotFound");
- a misspelt, truncated, re-cased or space-split code (``ExtensionSnapshotFailedNoNetwor``,
  ``usererror vm provisioning state failed``), scored by edit distance against the code length;
  a two-word code with one slip (``FailedPrepst``) believed moderately;
- a catalogue log signature matching a pasted log line;
- a message in English or Chinese, partial, line-wrapped or reworded, found by a weighted word
  (for Chinese, character-bigram) window and confirmed character by character (a Chinese
  character typed twice, dropped or replaced is a slip, one per eight characters);
- an unknown code standing where an error code stands (``Error Code``, ``错误代码``, ``errorCode``,
  ``code``, PowerShell ``ErrorCode``) with an Azure Backup shape: reported as ``unknown-code``.

A text span explained well by one entry does not also count for a weaker look-alike, so a
portal block yields its own error and not every message sharing "Snapshot operation failed".
Nor does a message's later sentence, its advice, which related errors' recommended actions
repeat ("Ensure that VM has network access"): next to a code that names another error, it is
a hint of its own entry, not a finding.
Where the text itself cannot tell entries apart, the result says so (``note``, ``ties``): a
part that several messages share ("Operation failed as Cross Subscription Restore is not
supported") ties them as hints; a code the paste may have cut (``BackUpOperationFailed...``)
ties with the longer codes it starts.

Other products' errors share the catalogue's vocabulary, so evidence is proof only when it is
specific; otherwise it is a hint (shown, below 0.5). A message match must hold the wording's
own words where they stand, not other words in their place ("The cluster is in failed
provisioning state"), and more than a few generic ones ("unable to load certificate" is also
OpenSSL's); an agent log's line or a platform error in plain words ("OS Provisioning did not
finish in the allotted time"), or a wording with few words of its own ("The virtual machine
doesn't exist"), must come in a text about backups, or be the whole question. Text that shows
it comes from Azure Backup (a catalogue code, the vault, the VM agents' logs) needs less.
"""

from logparse.fuzzy.matcher import MatchResult, match
from logparse.fuzzy.query import MAX_QUERY_BYTES, REPORT_FLOOR, query_text

__all__ = ["MAX_QUERY_BYTES", "REPORT_FLOOR", "MatchResult", "match", "query_text"]
