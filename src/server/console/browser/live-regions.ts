// Parts of a page marked data-live (the online sessions) follow the server by themselves: every
// few seconds the page is fetched again and those parts are replaced, unless the keyboard is in
// one of them (a user about to press Terminate keeps what they see). Without script: reload.
/// <reference lib="dom" />

const EVERY_MS = 5000;

export const followLiveRegions = (): void => {
  if (!document.querySelector('[data-live]')) return;
  setInterval(() => {
    void (async () => {
      const answer = await fetch(location.pathname, { credentials: 'same-origin' });
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
