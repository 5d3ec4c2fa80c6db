// Offline licenses cannot be revoked, so the form that issues them is sent once: a second click
// while the first is on its way does nothing (the page that follows is fresh, its box unticked).
// That page says what was issued, with a Download link: started here by itself, and the address
// loses its ?issued= so that a reload neither says it again nor downloads again. Without script:
// one click on Download.
/// <reference lib="dom" />

export const issueOnce = (form: HTMLFormElement): void => {
  form.addEventListener('submit', (event) => {
    if (form.dataset.sent) event.preventDefault();
    else form.dataset.sent = 'yes';
  });
  // A page brought back from the back/forward cache may send it again.
  window.addEventListener('pageshow', () => delete form.dataset.sent);
};

export const startIssuedDownload = (): void => {
  const download = document.querySelector<HTMLAnchorElement>('a[data-download-now]');
  if (!download) return;
  download.click();
  const url = new URL(location.href);
  url.searchParams.delete('issued');
  history.replaceState(history.state, '', url);
};
