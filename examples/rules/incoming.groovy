// Incoming sync rules: how this side applies what it receives.
if (firstSync) {
  issue.summary = replica.summary
}
issue.description = replica.description
issue.comments    = commentHelper.mergeComments(issue, replica)
