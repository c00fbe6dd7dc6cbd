// A page that shows a secret once (the response to the POST that created it) swaps its history
// entry for the given URL, so reload, back and forward load that page instead of the secret and
// the browser never offers to resubmit the form.

export function forgetOneTimePage(root) {
  const marker = root.querySelector("[data-replace-url]");
  if (marker) window.history.replaceState(null, "", marker.dataset.replaceUrl);
}
