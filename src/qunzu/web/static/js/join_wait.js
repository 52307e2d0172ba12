// Pages that wait on a join request or invitation (the group's page for a non-member, /groups): when the owner or a
// manager decides, or an invitation arrives, the server sends a `join_request` frame to this person's connections;
// reload so the page shows the new state (the chat itself once approved). The page works without this.

import { LiveSocket } from "./live.js";

const live = new LiveSocket({
  groups: () => ({}),
  since: () => null,
  onFrame: (frame) => {
    if (frame.type === "join_request") location.reload();
  },
  onState: () => {},
  onAuthLost: () => {},
});
live.start();
