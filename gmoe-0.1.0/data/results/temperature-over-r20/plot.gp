# mixrate plot: gnuplot plot.gp (in this directory)
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
    set terminal pngcairo size 1000,560 enhanced font 'sans,11'; set output 'plot.png'
} else { if (strstrt(GPVAL_TERMINALS, ' png ') > 0) {
    set terminal png size 1000,560; set output 'plot.png'
} else {
    set terminal svg size 1000,560; set output 'plot.svg'
} }
set datafile separator ','
set logscale xy
set xrange [831.76377110267094:120226.44346174129]
set yrange [0.27198834735697625:1.7764365513678468]
set xlabel 'sample size N'
set ylabel 'D2 loss'
set title "temperature, k = 3 fitted, k* = 2 true, grid design, near-truth start" noenhanced
set key outside right top vertical box spacing 1.3 samplen 2
set grid xtics ytics lc rgb '#dddddd'
set xtics ('1000' 1000, '2000' 2000, '5000' 5000, '10000' 10000, '20000' 20000, '50000' 50000, '100000' 100000)
set ytics ('0.3' 0.30000000000000004, '0.4' 0.40000000000000002, '0.5' 0.5, '0.6' 0.60000000000000009, '0.8' 0.80000000000000004, '1' 1, '1.5' 1.5)
bottom = 0.27198834735697625
lo(v) = v > bottom ? v : bottom
theory(x) = 26.436857005648946 * sqrt(log(x) / x)
mean_fit(x) = exp(0.2277314150627601) * x**-0.049321888828964551
median_fit(x) = exp(0.04251210462311461) * x**-0.053435414696354731
plot 'summary.csv' skip 1 using ($1/1.02):3:(lo($6)):7 with yerrorbars pt 7 ps 0.9 lc rgb '#1f4e9c' title 'mean of 20 replicates, 95% CI', \
     'summary.csv' skip 1 using ($1*1.02):5:8:9 with yerrorbars pt 5 ps 0.8 lc rgb '#2e8b57' title 'median, 95% CI', \
     mean_fit(x) with lines lw 2 lc rgb '#1f4e9c' title sprintf('mean: slope %.2f [%.2f, %.2f]', -0.049321888828964551, -0.081987865269002161, -0.016655912388926941), \
     median_fit(x) with lines lw 2 dt 4 lc rgb '#2e8b57' title sprintf('median: slope %.2f [%.2f, %.2f]', -0.053435414696354731, -0.089855339353373934, -0.017015490039335529), \
     theory(x) with lines lw 2 dt 2 lc rgb '#c0392b' title "c (log N / N)^{1/2}, no proven rate"
