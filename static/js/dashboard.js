// Entry module of every dashboard page: small progressive enhancements, nothing a page needs to work.
import { enableCopyButtons } from "./copy.js";
import { closeMenusOnOutsideClick } from "./menu.js";
import { forgetOneTimePage } from "./one-time-page.js";

enableCopyButtons(document);
closeMenusOnOutsideClick(document);
forgetOneTimePage(document);
