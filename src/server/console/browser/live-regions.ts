// Parts of a page marked data-live="PAGE" (the online sessions) follow the server by themselves:
// every few seconds PAGE is fetched again and those parts are replaced, unless the keyboard is in
// one of them (a user about to press Terminate keeps what they see). PAGE, not this page's own
// address: after a refused form the address is the form's, which answers only POST. Without
// script: reload.
/// <reference lib="dom" />

const EVERY_MS = 5000;

export const followLiveRegions = (): void => {
  const source = document.querySelector<HTMLElement>('[data-live]')?.dataset.live;
  if (!source) return;
  setInterval(() => {
    void (async () => {
      const answer = await fetch(source, { credentials: 'same-origin' });
      if (!answer.ok) return;
      const fresh = new DOMParser().parseFromString(await answer.text(), 'text/html');
      for (const region of document.querySelectorAll<HTMLElement>('[data-live][id]')) {
        if (region.contains(document.activeElement)) continue;
        const next = fresh.getElementById(region.id);
        if (next) region.replaceChildren(...Array.from(next.childNodes));
      }
    })().catch(() => {}); // offline for a moment: the next round tries again
  }, EVERY_MS);
};
